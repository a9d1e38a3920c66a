/* namemap.c: a hash map from byte strings to numbers, for the caches of
 * bulk work (names to ids, pairs of ids to a verdict). Open addressing
 * with linear probing; the map keeps its own copy of every key and grows
 * at half full, so a lookup costs a probe or two at any size. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct namemap_slot {
    char *key; /* NULL: empty */
    size_t len;
    uint64_t hash;
    uint64_t value;
};

/* FNV-1a, 64 bits. */
static uint64_t
hash_of(const void *key, size_t len)
{
    const unsigned char *p = key;
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static struct namemap_slot *
find(const namemap *m, const void *key, size_t len, uint64_t h)
{
    if (m->cap == 0)
        return NULL;
    for (size_t i = (size_t) h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        struct namemap_slot *s = &m->slots[i];
        if (!s->key || (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0))
            return s;
    }
}

static int
grow(namemap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 64;
    struct namemap_slot *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return -1;
    namemap bigger = {slots, cap, m->n};
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key)
            *find(&bigger, m->slots[i].key, m->slots[i].len, m->slots[i].hash) = m->slots[i];
    free(m->slots);
    *m = bigger;
    return 0;
}

uint64_t *
namemap_get(const namemap *m, const void *key, size_t len)
{
    struct namemap_slot *s = find(m, key, len, hash_of(key, len));
    return s && s->key ? &s->value : NULL;
}

uint64_t *
namemap_put(namemap *m, const void *key, size_t len, uint64_t value)
{
    if ((m->n + 1) * 2 > m->cap && grow(m))
        return NULL;
    uint64_t h = hash_of(key, len);
    struct namemap_slot *s = find(m, key, len, h);
    if (!s->key) {
        char *copy = malloc(len ? len : 1);
        if (!copy)
            return NULL;
        memcpy(copy, key, len);
        s->key = copy;
        s->len = len;
        s->hash = h;
        m->n++;
    }
    s->value = value;
    return &s->value;
}

void
namemap_free(namemap *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->slots[i].key);
    free(m->slots);
    memset(m, 0, sizeof *m);
}
