/* bulk_xml.h: the XML document of a bulk enqueue (POST /api/v1/tasks
 * with Content-Type application/xml, schema docs/api.rng), read into one
 * set of form fields per task, so that each task is then checked by the
 * same parameter table as a form. Pure: no FastCGI, no database, no
 * globals but libxml2's, so that it can be tested and fuzzed on its own.
 *
 * Every byte is untrusted: no network, no DTD (so no entities, external
 * or expanding), libxml2's limits on depth and sizes, at most max tasks
 * kept. */
#ifndef FC_BULK_XML_H
#define FC_BULK_XML_H

#include <stdbool.h>
#include <stddef.h>

#include <asynctasks/error.h>

#include "request.h"

#define FC_BULK_NS "urn:asynctasks:api:1"

typedef struct fc_bulk_item {
    fc_kvlist fields; /* its attributes, and its payload element's text */
    at_error err;     /* code AT_OK, or what is wrong with its shape */
} fc_bulk_item;

typedef struct fc_bulk {
    fc_bulk_item *v;
    size_t n;
    bool too_many; /* the document holds more than max tasks */
} fc_bulk;

/* Reads body[0..len): a root tasks element in FC_BULK_NS holding 1 to max
 * task elements. A task's attributes are fields named in attrs
 * (NULL-terminated); its one optional child element named text_field
 * holds that field as text. A task of the wrong shape gets its own err;
 * a document that cannot be read at all is AT_EINVAL with a message fit
 * for the client (too_many set when it holds more than max tasks). */
int fc_bulk_parse(const char *body, size_t len, const char *const *attrs, const char *text_field,
                  size_t max, fc_bulk *out, at_error *err);
void fc_bulk_free(fc_bulk *b);

#endif
