/* executor_list.c: placeholder, being written. */
