/* apitoken.c: placeholder, being written. */
