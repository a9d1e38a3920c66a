/* http.h: answering one FastCGI request. */
#ifndef FC_HTTP_H
#define FC_HTTP_H

#include <fcgiapp.h>

#include <asynctasks/asynctasks.h>

/* Reads the request from r, answers it on r->out. Never fails: every
 * problem becomes a status page. */
void fc_handle(FCGX_Request *r, at_db *db, const at_config *cfg);

#endif
