/* wake.c: placeholder, being written. */
