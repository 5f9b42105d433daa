// SPDX-License-Identifier: GPL-2.0
/* One TLS session on the io_uring loop, as HAProxy and Envoy drive theirs:
 * the session reads and writes two memory BIOs, the loop reads ciphertext
 * into the one and sends what gathers in the other. Nothing here blocks or
 * touches a socket, and a failure keeps OpenSSL's reason for the logs. */
#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>

#include "agent/serve/tls.h"

struct off_tls_conn {
	SSL *ssl;
	BIO *in, *out;		/* ciphertext read from, to be sent to, the socket */
	char why[160];
	char raw[OFF_TLS_RAW];
};

static struct off_tls_conn *conn_new(SSL_CTX *ctx)
{
	struct off_tls_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->ssl = SSL_new(ctx);
	c->in = BIO_new(BIO_s_mem());
	c->out = BIO_new(BIO_s_mem());
	if (!c->ssl || !c->in || !c->out) {
		BIO_free(c->in);
		BIO_free(c->out);
		SSL_free(c->ssl);
		free(c);
		return NULL;
	}
	SSL_set_bio(c->ssl, c->in, c->out);	/* the session owns them now */
	return c;
}

struct off_tls_conn *off_tls_server(SSL_CTX *ctx)
{
	struct off_tls_conn *c = conn_new(ctx);

	if (c)
		SSL_set_accept_state(c->ssl);
	return c;
}

struct off_tls_conn *off_tls_client(SSL_CTX *ctx, const char *name)
{
	struct off_tls_conn *c = conn_new(ctx);

	if (!c)
		return NULL;
	SSL_set_connect_state(c->ssl);
	/* The name is checked against the certificate's DNS subjectAltNames
	 * only, as browsers do (RFC 6125): a CN is no name. */
	SSL_set_hostflags(c->ssl, X509_CHECK_FLAG_NEVER_CHECK_SUBJECT);
	if (!SSL_set1_host(c->ssl, name) || !SSL_set_tlsext_host_name(c->ssl, name)) {
		off_tls_conn_free(c);
		return NULL;
	}
	ERR_clear_error();
	SSL_do_handshake(c->ssl);	/* writes the ClientHello, then wants to read */
	ERR_clear_error();
	return c;
}

void off_tls_conn_free(struct off_tls_conn *c)
{
	if (!c)
		return;
	SSL_free(c->ssl);
	free(c);
}

char *off_tls_raw(struct off_tls_conn *c)
{
	return c->raw;
}

bool off_tls_ready(const struct off_tls_conn *c)
{
	return SSL_is_init_finished(c->ssl);
}

const char *off_tls_why(const struct off_tls_conn *c)
{
	return c->why;
}

/* The reason OpenSSL gave: a certificate's verdict first, else the error
 * queue's (an alert from the other side, a record that is not TLS). */
static int failed(struct off_tls_conn *c)
{
	long v = SSL_get_verify_result(c->ssl);
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	if (v == X509_V_ERR_HOSTNAME_MISMATCH)
		snprintf(c->why, sizeof(c->why), "certificate refused: its names do not include %s",
			 SSL_get_servername(c->ssl, TLSEXT_NAMETYPE_host_name));
	else if (v != X509_V_OK)
		snprintf(c->why, sizeof(c->why), "certificate refused: %s",
			 X509_verify_cert_error_string(v));
	else
		snprintf(c->why, sizeof(c->why), "%s", r ? r : "handshake failed");
	ERR_clear_error();
	return -EPROTO;
}

static int eof(struct off_tls_conn *c)
{
	snprintf(c->why, sizeof(c->why), "%s", off_tls_ready(c) ?
		 "closed without close_notify: the reply may be cut short" :
		 "closed during the handshake");
	return -EPROTO;
}

int off_tls_take(struct off_tls_conn *c, int n, char *buf, int *len, int cap)
{
	char spill;

	ERR_clear_error();
	if (n > 0 && BIO_write(c->in, c->raw, n) != n) {
		snprintf(c->why, sizeof(c->why), "out of memory");
		return -ENOMEM;
	}
	for (;;) {
		/* Full: one more byte is one too many. */
		char *to = *len < cap ? buf + *len : &spill;
		int r = SSL_read(c->ssl, to, *len < cap ? cap - *len : 1);

		if (r > 0 && to == &spill)
			return -EFBIG;
		if (r > 0) {
			*len += r;
			continue;
		}
		switch (SSL_get_error(c->ssl, r)) {
		case SSL_ERROR_WANT_READ:
			return n ? OFF_TLS_MORE : eof(c);
		case SSL_ERROR_ZERO_RETURN:
			return OFF_TLS_CLOSED;
		default:
			return failed(c);
		}
	}
}

int off_tls_put(struct off_tls_conn *c, const void *data, size_t len)
{
	ERR_clear_error();
	/* A memory BIO takes all of it: no partial writes, no retries. */
	if (len && SSL_write(c->ssl, data, len) <= 0)
		return failed(c);
	return 0;
}

struct off_reply *off_tls_flight(struct off_tls_conn *c)
{
	size_t n = BIO_ctrl_pending(SSL_get_wbio(c->ssl));
	struct off_reply *r = n ? off_reply_alloc(n) : NULL;

	if (r && BIO_read(SSL_get_wbio(c->ssl), r->data, n) != (int)n) {
		off_reply_put(r);
		return NULL;
	}
	return r;
}

struct off_reply *off_tls_seal(struct off_tls_conn *c, struct off_reply *plain)
{
	struct off_reply *r = NULL;

	if (plain && !off_tls_put(c, plain->data, plain->len)) {
		SSL_shutdown(c->ssl);	/* queues close_notify; theirs is not awaited */
		ERR_clear_error();
		r = off_tls_flight(c);
	}
	off_reply_put(plain);
	return r;
}
