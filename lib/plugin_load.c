/* plugin_load.c: placeholder, being written. */
