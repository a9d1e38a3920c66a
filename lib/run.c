/* run.c: placeholder, being written. */
