// SPDX-License-Identifier: GPL-2.0
/* Mutual TLS's credentials: tls_ca, tls_cert and tls_key, each file checked
 * before OpenSSL reads it, made into the context every peer connection
 * starts from: TLS 1.3 only, and a certificate of the CA required both ways. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/config/trust.h"
#include "agent/serve/tls.h"

struct creds {
	const struct off_config *c;
	const char *file;
	char *err;
	size_t errlen;
};

static int refuse(const struct creds *k, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int refuse(const struct creds *k, const char *key, const char *fmt, ...)
{
	int n = snprintf(k->err, k->errlen, "%s:%d: [agent] %s: ", k->file,
			 off_config_line(k->c, NULL, key), key);
	va_list ap;

	if (n < 0 || (size_t)n >= k->errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(k->err + n, k->errlen - n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* 1: none set; 0: all three; else the refusal. A tls_name means TLS was
 * meant: probing that peer in plain HTTP would trust what it must not. */
static int all_or_none(const struct creds *k)
{
	static const char *const keys[] = { "tls_ca", "tls_cert", "tls_key" };
	const char *v[] = { k->c->tls_ca, k->c->tls_cert, k->c->tls_key };
	int set = !!v[0][0] + !!v[1][0] + !!v[2][0];

	for (int i = 0; set && set < 3 && i < 3; i++)
		if (!v[i][0])
			return refuse(k, keys[i], "missing: tls_ca, tls_cert and tls_key are set together");
	for (int i = 0; !set && i < k->c->npeers; i++) {
		const struct off_cfg_peer *p = &k->c->peers[i];

		if (p->tls_name[0]) {
			snprintf(k->err, k->errlen, "%s:%d: [peer %s] tls_name: set, but [agent] has no "
				 "tls_ca, tls_cert and tls_key", k->file, p->line, p->name);
			return -EINVAL;
		}
	}
	return !set;
}

/* There, a regular file, root's and written by root alone; a key read by
 * root alone too (sshd's rule for host keys). */
static int check_file(const struct creds *k, const char *key, const char *path, bool secret)
{
	struct stat st;
	char why[512];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return refuse(k, key, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return refuse(k, key, "%s: not a regular file", path);
	}
	close(fd);
	if (off_trust_file(path, why, sizeof(why)))
		return refuse(k, key, "%s", why);
	if (secret && (st.st_mode & (S_IRWXG | S_IRWXO)))
		return refuse(k, key, "%s: a private key readable by others, refused (chmod 600 %s)", path,
			      path);
	return 0;
}

static const char *reason(void)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	return r ? r : "unreadable";
}

/* Our own certificate as a peer will judge it, in both roles: the same
 * certificate serves status and probes. */
static int vouched(const struct creds *k, SSL_CTX *ctx)
{
	static const int purposes[] = { X509_PURPOSE_SSL_SERVER, X509_PURPOSE_SSL_CLIENT };
	STACK_OF(X509) *chain = NULL;
	int ret = 0;

	SSL_CTX_get0_chain_certs(ctx, &chain);
	for (int i = 0; !ret && i < 2; i++) {
		X509_STORE_CTX *s = X509_STORE_CTX_new();

		if (!s || !X509_STORE_CTX_init(s, SSL_CTX_get_cert_store(ctx),
					       SSL_CTX_get0_certificate(ctx), chain))
			ret = refuse(k, "tls_cert", "out of memory");
		else if (!X509_STORE_CTX_set_purpose(s, purposes[i]) || X509_verify_cert(s) != 1)
			ret = refuse(k, "tls_cert", "%s: peers would refuse it as a %s under tls_ca %s: %s",
				     k->c->tls_cert, i ? "client" : "server", k->c->tls_ca,
				     X509_verify_cert_error_string(X509_STORE_CTX_get_error(s)));
		X509_STORE_CTX_free(s);
	}
	return ret;
}

/* OpenSSL's default would prompt on the terminal: a blocking read. */
static int no_passphrase(char *buf, int size, int rwflag, void *asked)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	*(int *)asked = 1;
	return -1;
}

static int credentials(const struct creds *k, SSL_CTX *ctx)
{
	const struct off_config *c = k->c;
	EVP_PKEY *key;
	BIO *f;
	int ret, asked = 0;

	if (SSL_CTX_load_verify_file(ctx, c->tls_ca) != 1)
		return refuse(k, "tls_ca", "%s: not PEM certificates: %s", c->tls_ca, reason());
	if (SSL_CTX_use_certificate_chain_file(ctx, c->tls_cert) != 1)
		return refuse(k, "tls_cert", "%s: not a PEM certificate: %s", c->tls_cert, reason());
	/* Read apart from its use, which also matches it to the certificate:
	 * a key that is none and a key of another are two different fixes. */
	f = BIO_new_file(c->tls_key, "r");
	key = f ? PEM_read_bio_PrivateKey(f, NULL, no_passphrase, &asked) : NULL;
	BIO_free(f);
	if (!key)
		return refuse(k, "tls_key", "%s: not a PEM private key%s", c->tls_key, asked ?
			      ": it is encrypted, and a daemon has no one to ask for the passphrase" : "");
	ret = SSL_CTX_use_PrivateKey(ctx, key) == 1 && SSL_CTX_check_private_key(ctx) == 1;
	EVP_PKEY_free(key);
	if (!ret)
		return refuse(k, "tls_key", "%s: not the key of tls_cert %s", c->tls_key, c->tls_cert);
	return vouched(k, ctx);
}

int off_tls_load(const struct off_config *c, const char *file, SSL_CTX **out, char *err,
		 size_t errlen)
{
	const struct creds k = { .c = c, .file = file, .err = err, .errlen = errlen };
	SSL_CTX *ctx;
	int ret = all_or_none(&k);

	*out = NULL;
	if (ret)
		return ret > 0 ? 0 : ret;
	if ((ret = check_file(&k, "tls_ca", c->tls_ca, false)) ||
	    (ret = check_file(&k, "tls_cert", c->tls_cert, false)) ||
	    (ret = check_file(&k, "tls_key", c->tls_key, true)))
		return ret;
	ERR_clear_error();
	ctx = SSL_CTX_new(TLS_method());
	if (!ctx)
		return refuse(&k, "tls_ca", "cannot set up TLS: %s", reason());
	SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	/* Every probe a full handshake, every one verified: no tickets. */
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	ret = credentials(&k, ctx);
	ERR_clear_error();
	if (ret) {
		SSL_CTX_free(ctx);
		return ret;
	}
	*out = ctx;
	return 0;
}
