/* SPDX-License-Identifier: GPL-2.0 */
/* Mutual TLS 1.3 for peer status, driven by the io_uring loop: OpenSSL only
 * ever reads and writes memory BIOs, and the loop moves the ciphertext. */
#ifndef OFFLOAD_AGENT_SERVE_TLS_H
#define OFFLOAD_AGENT_SERVE_TLS_H

#include <openssl/types.h>
#include <stdbool.h>
#include <stddef.h>

#include "agent/config/config.h"
#include "agent/serve/listener.h"

#define OFF_TLS_RAW	16384	/* ciphertext per read: one record */

/* One connection's TLS session and its two memory BIOs. */
struct off_tls_conn;

/* Loads c's tls_ca, tls_cert and tls_key (tlsctx.c) into *out, what every
 * connection starts from, or sets *out NULL when none is set (plain HTTP).
 * 0, or -errno with "FILE:LINE: [section] KEY: what" in err (file: the
 * configuration's name) for a half-set triple, a tls_name without them, a
 * missing, unreadable, untrusted or unparsable file, a key that is not the
 * certificate's, or a certificate its CA does not vouch for. SSL_CTX_free
 * frees it; connections made from it keep it alive until they are freed. */
int off_tls_load(const struct off_config *c, const char *file, SSL_CTX **out, char *err,
		 size_t errlen);

/* A connection accepting a client, which must show a certificate of the CA;
 * NULL when out of memory. */
struct off_tls_conn *off_tls_server(SSL_CTX *t);
/* A connection to a server whose certificate must be the CA's and name NAME
 * (a DNS subjectAltName); its ClientHello waits in off_tls_flight. */
struct off_tls_conn *off_tls_client(SSL_CTX *t, const char *name);
void off_tls_conn_free(struct off_tls_conn *c);

/* Where the next read puts ciphertext: OFF_TLS_RAW bytes. */
char *off_tls_raw(struct off_tls_conn *c);

enum { OFF_TLS_MORE = 0, OFF_TLS_CLOSED = 1 };
/* n bytes of ciphertext were read into off_tls_raw (0: the socket's EOF):
 * advances the handshake and appends the plaintext to buf, *len bytes so
 * far, up to cap. OFF_TLS_MORE, OFF_TLS_CLOSED once the other side's
 * close_notify arrived, -EFBIG past cap, or -EPROTO (off_tls_why says why:
 * a refused certificate, an alert, not TLS, an EOF without close_notify). */
int off_tls_take(struct off_tls_conn *c, int n, char *buf, int *len, int cap);
/* The handshake is done: the other side's certificate was verified. */
bool off_tls_ready(const struct off_tls_conn *c);
/* Encrypts len bytes into the flight. 0 or -EPROTO. */
int off_tls_put(struct off_tls_conn *c, const void *data, size_t len);
/* The ciphertext waiting to be sent (one reference), or NULL if none. */
struct off_reply *off_tls_flight(struct off_tls_conn *c);
/* The last words: plain (its reference taken) encrypted, then close_notify,
 * with whatever waited before them; NULL if plain is, or on failure. */
struct off_reply *off_tls_seal(struct off_tls_conn *c, struct off_reply *plain);
const char *off_tls_why(const struct off_tls_conn *c);

#endif
