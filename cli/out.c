/* out.c: the one rule for what asynctasks(1) prints of text that users,
 * plugins or the database wrote (payloads, results, errors, names,
 * emails, reasons): control characters never reach a terminal or a table
 * as they are.
 *
 * A control character is a C0 byte (below 0x20), DEL (0x7F), a C1 control
 * (U+0080..U+009F, UTF-8 0xC2 0x80..0x9F), or a byte that can neither
 * start nor continue a UTF-8 character (an 8-bit terminal reads a stray
 * 0x80..0x9F as C1). Each byte of one
 * is written as a C-style escape: \n, \t and \r, else \xNN.
 *  - On a terminal, stdout and stderr pass everything through this rule,
 *    newlines and tabs excepted (they are the layout of our own output).
 *  - A table cell (cli_cell) is escaped wherever it goes, newlines and
 *    tabs included, so that a row stays one row.
 *  - Written to a file or a pipe, everything else is the bytes as stored:
 *    tsv, a payload or a result can be read back exactly. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

typedef struct esc {
    int cell;      /* a table cell: newlines and tabs are escaped too */
    unsigned need; /* continuation bytes the current UTF-8 sequence lacks */
    int held;      /* a 0xC2 lead held back: it may start a C1 control */
} esc;

static size_t
hex(unsigned char c, char *out)
{
    static const char digits[] = "0123456789abcdef";
    out[0] = '\\';
    out[1] = 'x';
    out[2] = digits[c >> 4];
    out[3] = digits[c & 15];
    return 4;
}

static size_t
control(const esc *e, unsigned char c, char *out)
{
    if (!e->cell && (c == '\n' || c == '\t')) {
        out[0] = (char) c;
        return 1;
    }
    const char *named = c == '\n' ? "\\n" : c == '\t' ? "\\t" : c == '\r' ? "\\r" : NULL;
    if (named) {
        memcpy(out, named, 2);
        return 2;
    }
    return hex(c, out);
}

/* Writes c, escaped if it must be, to out (room for 8 bytes); returns the
 * bytes written. */
static size_t
esc_byte(esc *e, unsigned char c, char *out)
{
    size_t n = 0;
    if (e->held) {
        e->held = 0;
        if (c >= 0x80 && c <= 0x9F) {
            e->need = 0;
            n = hex(0xC2, out);
            return n + hex(c, out + n);
        }
        out[n++] = (char) 0xC2;
    }
    if (e->need && c >= 0x80 && c <= 0xBF) {
        e->need--;
        out[n++] = (char) c;
        return n;
    }
    e->need = 0;
    if (c < 0x20 || c == 0x7F)
        return n + control(e, c, out + n);
    if (c < 0x80) {
        out[n++] = (char) c;
        return n;
    }
    if (c == 0xC2) {
        e->held = 1;
        e->need = 1;
        return n;
    }
    if (c >= 0xC3 && c <= 0xF4) {
        e->need = c < 0xE0 ? 1 : c < 0xF0 ? 2 : 3;
        out[n++] = (char) c;
        return n;
    }
    return n + hex(c, out + n);
}

/* What a held lead byte becomes at the end of the text. */
static size_t
esc_end(esc *e, char *out)
{
    if (!e->held)
        return 0;
    e->held = 0;
    e->need = 0;
    return hex(0xC2, out);
}

/* ---- a table cell ---- */

void
cli_cell(FILE *f, const char *s, size_t width)
{
    esc e = {.cell = 1};
    char buf[8];
    size_t w = 0;
    for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
        size_t n = esc_byte(&e, *p, buf);
        fwrite(buf, 1, n, f);
        w += at_utf8_len(buf, n);
    }
    size_t n = esc_end(&e, buf);
    fwrite(buf, 1, n, f);
    for (w += n; w < width; w++)
        fputc(' ', f);
}

/* ---- a terminal ---- */

typedef struct term {
    int fd;
    esc e;
} term;

static int
write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return -1;
        p += k;
        n -= (size_t) k;
    }
    return 0;
}

static ssize_t
term_write(void *cookie, const char *p, size_t n)
{
    term *t = cookie;
    char out[4096];
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        if (len > sizeof out - 8) {
            if (write_all(t->fd, out, len))
                return -1;
            len = 0;
        }
        len += esc_byte(&t->e, (unsigned char) p[i], out + len);
    }
    return write_all(t->fd, out, len) ? -1 : (ssize_t) n;
}

static int
term_close(void *cookie)
{
    term *t = cookie;
    char out[8];
    return write_all(t->fd, out, esc_end(&t->e, out));
}

/* A stream writing to fd through the rule, or NULL. */
static FILE *
term_open(int fd, int mode)
{
    static term terms[2];
    term *t = &terms[fd == STDERR_FILENO];
    *t = (term){.fd = fd};
    FILE *f = fopencookie(t, "w", (cookie_io_functions_t){.write = term_write,
                                                          .close = term_close});
    if (f)
        setvbuf(f, NULL, mode, BUFSIZ);
    return f;
}

void
cli_out_init(void)
{
    FILE *f;
    if (isatty(STDOUT_FILENO) && (f = term_open(STDOUT_FILENO, _IOLBF))) {
        fflush(stdout);
        stdout = f;
    }
    if (isatty(STDERR_FILENO) && (f = term_open(STDERR_FILENO, _IONBF)))
        stderr = f;
}
