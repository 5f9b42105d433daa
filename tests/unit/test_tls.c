// SPDX-License-Identifier: GPL-2.0
/* Mutual TLS over memory BIOs, two sessions wired back to back with no
 * socket: a good handshake carries a request and its sealed reply; a wrong
 * name, a client certificate of another CA, a reply cut before its
 * close_notify and one past the cap are each refused with the reason; and
 * the credentials are refused, with file, line and key, when expired,
 * mismatched or half-set. Certificates are made here with OpenSSL's own API. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "agent/serve/tls.h"

static char dir[] = "/tmp/test_tls.XXXXXX";
static SSL_CTX *ctx, *foreign;

static void ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX v;
	X509_EXTENSION *e;

	X509V3_set_ctx_nodb(&v);
	X509V3_set_ctx(&v, issuer, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &v, nid, value);
	assert_non_null(e);
	assert_int_equal(X509_add_ext(x, e, -1), 1);
	X509_EXTENSION_free(e);
}

/* A certificate for k, valid from..to seconds from now: a CA's when
 * issuer is NULL (self-signed), else for the DNS name san. */
static X509 *issue(EVP_PKEY *k, const char *san, X509 *issuer, EVP_PKEY *ik, long from, long to)
{
	static long serial = 1;
	X509 *x = X509_new();
	char cn[32];

	snprintf(cn, sizeof(cn), "test-ca-%ld", serial);	/* two CAs, two names */
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	X509_gmtime_adj(X509_getm_notBefore(x), from);
	X509_gmtime_adj(X509_getm_notAfter(x), to);
	X509_set_pubkey(x, k);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				   (const unsigned char *)(san ? san : cn), -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(issuer ? issuer : x));
	if (!issuer) {
		ext(x, x, NID_basic_constraints, "critical,CA:TRUE");
		ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
	} else {
		char alt[128];

		snprintf(alt, sizeof(alt), "DNS:%s", san);
		ext(x, issuer, NID_subject_alt_name, alt);
		ext(x, issuer, NID_ext_key_usage, "serverAuth,clientAuth");
	}
	assert_true(X509_sign(x, issuer ? ik : k, EVP_sha256()) > 0);
	return x;
}

static void pem(const char *name, X509 *x, EVP_PKEY *k)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(x ? PEM_write_X509(f, x) : PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL), 1);
	fclose(f);
}

/* The context of "node" (edge1's certificate) under ca (or ca2). */
static int load(const char *ca, const char *crt, const char *key, SSL_CTX **out, char *err, size_t len)
{
	char text[1024];
	struct off_config c;
	int ret;

	snprintf(text, sizeof(text), "[agent]\ntls_ca = %s/%s\ntls_cert = %s/%s\ntls_key = %s/%s\n"
		 "[peer edge1]\naddress = 10.0.0.2\nkind = edge\n", dir, ca, dir, crt, dir, key);
	if (!ca[0])	/* half-set: tls_ca left out */
		snprintf(text, sizeof(text), "[agent]\ntls_cert = %s/%s\ntls_key = %s/%s\n", dir, crt, dir, key);
	assert_int_equal(off_config_parse_str(text, "t.conf", &c, err, len), 0);
	ret = off_tls_load(&c, "t.conf", out, err, len);
	off_config_free(&c);
	return ret;
}

/* A client trusting our CA but holding another CA's certificate: one
 * off_tls_load itself would refuse, so made by hand. */
static SSL_CTX *stranger(void)
{
	SSL_CTX *c = SSL_CTX_new(TLS_method());
	char ca[128], crt[128], key[128];

	snprintf(ca, sizeof(ca), "%s/ca.crt", dir);
	snprintf(crt, sizeof(crt), "%s/other.crt", dir);
	snprintf(key, sizeof(key), "%s/edge1.key", dir);
	assert_non_null(c);
	SSL_CTX_set_min_proto_version(c, TLS1_3_VERSION);
	SSL_CTX_set_verify(c, SSL_VERIFY_PEER, NULL);
	assert_int_equal(SSL_CTX_load_verify_file(c, ca), 1);
	assert_int_equal(SSL_CTX_use_certificate_file(c, crt, SSL_FILETYPE_PEM), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey_file(c, key, SSL_FILETYPE_PEM), 1);
	return c;
}

static int setup(void **state)
{
	EVP_PKEY *cak = EVP_EC_gen("P-256"), *ca2k = EVP_EC_gen("P-256"), *k = EVP_EC_gen("P-256");
	X509 *ca = issue(cak, NULL, NULL, NULL, 0, 3600), *ca2 = issue(ca2k, NULL, NULL, NULL, 0, 3600);
	X509 *good = issue(k, "edge1", ca, cak, 0, 3600), *old = issue(k, "edge1", ca, cak, -7200, -3600);
	X509 *other = issue(k, "edge1", ca2, ca2k, 0, 3600);
	char err[512];

	(void)state;
	umask(077);
	assert_non_null(mkdtemp(dir));
	pem("ca.crt", ca, NULL); pem("ca2.crt", ca2, NULL); pem("edge1.crt", good, NULL);
	pem("old.crt", old, NULL); pem("other.crt", other, NULL); pem("edge1.key", NULL, k);
	pem("other.key", NULL, ca2k);
	if (load("ca.crt", "edge1.crt", "edge1.key", &ctx, err, sizeof(err)))
		fail_msg("%s", err);
	foreign = stranger();
	X509_free(ca); X509_free(ca2); X509_free(good); X509_free(old); X509_free(other);
	EVP_PKEY_free(cak); EVP_PKEY_free(ca2k); EVP_PKEY_free(k);
	return 0;
}

static int teardown(void **state)
{
	char cmd[64];

	(void)state;
	SSL_CTX_free(ctx);
	SSL_CTX_free(foreign);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

/* Moves what waits in from's flight into to: what to's take said. */
static int pass(struct off_tls_conn *from, struct off_tls_conn *to, char *buf, int *len, int cap)
{
	struct off_reply *r = off_tls_flight(from);
	int ret;

	if (!r)
		return OFF_TLS_MORE;
	assert_true(r->len <= OFF_TLS_RAW);
	memcpy(off_tls_raw(to), r->data, r->len);
	ret = off_tls_take(to, r->len, buf, len, cap);
	off_reply_put(r);
	return ret;
}

struct pair {
	struct off_tls_conn *cli, *srv;
	char req[4096], rep[256];
	int reqlen, replen;
};

/* ClientHello, the server's flight, the client's with the request: where
 * the server stands after it, as the listener would find it. */
static int handshake(struct pair *p, SSL_CTX *client, const char *name)
{
	int ret;

	p->cli = off_tls_client(client, name);
	p->srv = off_tls_server(ctx);
	assert_non_null(p->cli);
	assert_non_null(p->srv);
	assert_int_equal(pass(p->cli, p->srv, p->req, &p->reqlen, sizeof(p->req)), OFF_TLS_MORE);
	ret = pass(p->srv, p->cli, p->rep, &p->replen, sizeof(p->rep));
	if (ret < 0)
		return ret;
	assert_true(off_tls_ready(p->cli));
	assert_int_equal(off_tls_put(p->cli, "GET /status", 11), 0);
	return pass(p->cli, p->srv, p->req, &p->reqlen, sizeof(p->req));
}

static void pair_free(struct pair *p)
{
	off_tls_conn_free(p->cli);
	off_tls_conn_free(p->srv);
}

static void request_and_sealed_reply(void **state)
{
	struct pair p = {};

	(void)state;
	assert_int_equal(handshake(&p, ctx, "edge1"), OFF_TLS_MORE);
	assert_true(off_tls_ready(p.srv));
	assert_int_equal(p.reqlen, 11);
	assert_memory_equal(p.req, "GET /status", 11);
	assert_int_equal(pass(p.srv, p.cli, p.rep, &p.replen, sizeof(p.rep)), OFF_TLS_MORE);
	/* The reply is sealed: its bytes, then close_notify. */
	{
		struct off_reply *r = off_reply_str("HTTP/1.1 200 OK\r\n\r\n{}");
		struct off_reply *c = off_tls_seal(p.srv, r);

		assert_non_null(c);
		memcpy(off_tls_raw(p.cli), c->data, c->len);
		assert_int_equal(off_tls_take(p.cli, c->len, p.rep, &p.replen, sizeof(p.rep)), OFF_TLS_CLOSED);
		off_reply_put(c);
	}
	assert_int_equal(p.replen, 21);
	assert_memory_equal(p.rep, "HTTP/1.1 200 OK\r\n\r\n{}", 21);
	pair_free(&p);
}

static void wrong_name_and_foreign_client_refused(void **state)
{
	struct pair p = {}, q = {};

	(void)state;
	assert_int_equal(handshake(&p, ctx, "edge2"), -EPROTO);
	assert_string_equal(off_tls_why(p.cli), "certificate refused: its names do not include edge2");
	pair_free(&p);
	/* A client with another CA's certificate: the server refuses it. */
	assert_int_equal(handshake(&q, foreign, "edge1"), -EPROTO);
	assert_false(off_tls_ready(q.srv));
	assert_string_equal(off_tls_why(q.srv), "certificate refused: unable to get local issuer certificate");
	pair_free(&q);
}

static void cut_and_oversized_replies_refused(void **state)
{
	struct pair p = {};
	char big[600];

	(void)state;
	assert_int_equal(handshake(&p, ctx, "edge1"), OFF_TLS_MORE);
	assert_int_equal(off_tls_put(p.srv, "HTTP/1.1 200", 12), 0);
	assert_int_equal(pass(p.srv, p.cli, p.rep, &p.replen, sizeof(p.rep)), OFF_TLS_MORE);
	/* The socket's EOF, no close_notify: a truncation, not a reply. */
	assert_int_equal(off_tls_take(p.cli, 0, p.rep, &p.replen, sizeof(p.rep)), -EPROTO);
	assert_string_equal(off_tls_why(p.cli), "closed without close_notify: the reply may be cut short");
	memset(big, 'x', sizeof(big));
	assert_int_equal(off_tls_put(p.srv, big, sizeof(big)), 0);
	assert_int_equal(pass(p.srv, p.cli, p.rep, &p.replen, sizeof(p.rep)), -EFBIG);
	assert_int_equal(p.replen, sizeof(p.rep));
	pair_free(&p);
}

static void credentials_refused(void **state)
{
	char err[512];
	SSL_CTX *c;

	(void)state;
	assert_int_equal(load("ca.crt", "old.crt", "edge1.key", &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "t.conf:3: [agent] tls_cert: "));
	assert_non_null(strstr(err, "peers would refuse it as a server under tls_ca"));
	assert_non_null(strstr(err, "certificate has expired"));
	assert_int_equal(load("ca.crt", "edge1.crt", "other.key", &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "t.conf:4: [agent] tls_key: "));
	assert_non_null(strstr(err, "not the key of tls_cert"));
	assert_int_equal(load("", "edge1.crt", "edge1.key", &c, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "t.conf:1: [agent] tls_ca: missing: tls_ca, tls_cert and tls_key are set together");
	assert_null(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(request_and_sealed_reply),
		cmocka_unit_test(wrong_name_and_foreign_client_refused),
		cmocka_unit_test(cut_and_oversized_replies_refused),
		cmocka_unit_test(credentials_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
