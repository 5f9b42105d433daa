// SPDX-License-Identifier: GPL-2.0
/* The Redis bus through hiredis's asynchronous context, with an event-loop
 * adapter of our own: its add/del read and write hooks arm io_uring polls
 * of the socket, and their completions call redisAsyncHandleRead/Write.
 * PUBLISH replies are read and discarded (no callback). */
#include <errno.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <poll.h>
#include <string.h>

#include "agent/edgex/edgex.h"

static void add_read(void *data)
{
	struct off_edgex *x = data;

	if (!x->rd.armed)
		off_edgex_arm(x, &x->rd);
}

static void add_write(void *data)
{
	struct off_edgex *x = data;

	if (!x->wr.armed)
		off_edgex_arm(x, &x->wr);
}

/* A poll in flight stays; its completion finds nothing to do. */
static void del_event(void *data)
{
	(void)data;
}

/* hiredis frees the context (and closes its socket) after this. */
static void cleanup(void *data)
{
	struct off_edgex *x = data;

	off_edgex_cancel(x);
	x->client = NULL;
	x->fd = -1;
}

static void on_connect(const redisAsyncContext *ac, int status)
{
	struct off_edgex *x = ac->ev.data;

	if (status == REDIS_OK)
		off_edgex_connected(x);
	else
		x->lost = true;
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
	struct off_edgex *x = ac->ev.data;

	(void)status;
	x->lost = true;
}

int off_redis_connect(struct off_edgex *x)
{
	redisAsyncContext *ac = redisAsyncConnect(x->cfg.host, x->cfg.port);

	if (!ac)
		return -ENOMEM;
	if (ac->err) {
		redisAsyncFree(ac);
		return -ECONNREFUSED;
	}
	x->client = ac;
	x->fd = ac->c.fd;
	ac->ev.data = x;
	ac->ev.addRead = add_read;
	ac->ev.delRead = del_event;
	ac->ev.addWrite = add_write;
	ac->ev.delWrite = del_event;
	ac->ev.cleanup = cleanup;
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
	redisAsyncSetConnectCallback(ac, on_connect);	/* waits for the first write event */
	return 0;
}

/* v in decimal, ending at end; its first character. */
static char *decimal(char *end, size_t v)
{
	do
		*--end = '0' + v % 10;
	while ((v /= 10));
	return end;
}

/* PUBLISH topic message in RESP, its header written in front of the
 * message where OFF_EDGEX_HEAD left room: hiredis copies the command once
 * into its buffer, with no formatting of its own. */
int off_redis_publish(struct off_edgex *x, size_t tlen, size_t len)
{
	static const char cmd[] = "*3\r\n$7\r\nPUBLISH\r\n$";
	char *msg = OFF_EDGEX_MSG(x), *p = msg;

	*--p = '\n';
	*--p = '\r';
	p = decimal(p, len);
	*--p = '$';
	*--p = '\n';
	*--p = '\r';
	p -= tlen;
	memcpy(p, x->topic, tlen);
	*--p = '\n';
	*--p = '\r';
	p = decimal(p, tlen);
	p -= sizeof(cmd) - 1;
	memcpy(p, cmd, sizeof(cmd) - 1);
	memcpy(msg + len, "\r\n", 2);
	if (redisAsyncFormattedCommand(x->client, NULL, NULL, p, msg + len + 2 - p) != REDIS_OK) {
		x->lost = true;
		return -EIO;
	}
	return 0;
}

bool off_redis_backlogged(struct off_edgex *x)
{
	redisAsyncContext *ac = x->client;

	return sdslen(ac->c.obuf) > 0;
}

/* Either handler may end the connection and free the context: cleanup()
 * then clears x->client. */
void off_redis_ready(struct off_edgex *x, unsigned int events)
{
	if (x->client && (events & (POLLIN | POLLERR | POLLHUP)))
		redisAsyncHandleRead(x->client);
	if (x->client && (events & POLLOUT))
		redisAsyncHandleWrite(x->client);
	if (x->client)
		add_read(x);
	if (x->client && sdslen(((redisAsyncContext *)x->client)->c.obuf))
		add_write(x);
}

void off_redis_close(struct off_edgex *x)
{
	if (x->client)
		redisAsyncFree(x->client);
	off_edgex_cancel(x);
	x->client = NULL;
	x->fd = -1;
}
