/* job.c: placeholder, being written. */
