// SPDX-License-Identifier: GPL-2.0
/* The MQTT bus through libmosquitto, without its thread or its loop: the
 * daemon's io_uring polls the client's socket and calls loop_read and
 * loop_write when it is ready, and loop_misc (keepalive) each tick. The
 * connect is non-blocking (connect_async to an address, never a name).
 * QoS 0, as EdgeX publishes events. Marked threaded, publish only queues:
 * a tick's events are written when the socket is writable, corked. */
#include <errno.h>
#include <mosquitto.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <stdio.h>
#include <unistd.h>

#include "agent/edgex/edgex.h"

#define KEEPALIVE_S	30

static void on_connect(struct mosquitto *m, void *user, int rc)
{
	struct off_edgex *x = user;

	(void)m;
	if (rc)
		x->lost = true;		/* refused by the broker */
	else
		off_edgex_connected(x);
}

static void on_disconnect(struct mosquitto *m, void *user, int rc)
{
	(void)m;
	(void)rc;
	((struct off_edgex *)user)->lost = true;
}

/* Reads what the socket has, writes what is queued, and polls again for
 * what the client still wants. */
static void rearm(struct off_edgex *x)
{
	if (x->lost || !x->client)
		return;
	if (!x->rd.armed)
		off_edgex_arm(x, &x->rd);
	if (!x->wr.armed && mosquitto_want_write(x->client))
		off_edgex_arm(x, &x->wr);
}

int off_mqtt_connect(struct off_edgex *x)
{
	static bool lib;
	struct mosquitto *m;
	char id[96];
	int rc;

	if (!lib && mosquitto_lib_init() == MOSQ_ERR_SUCCESS)
		lib = true;
	snprintf(id, sizeof(id), "offloadd-%s-%d", x->cfg.device, (int)getpid());
	m = mosquitto_new(id, true, x);
	if (!m)
		return -ENOMEM;
	x->client = m;
	/* Not a thread of its own: publish then queues rather than writes
	 * (libmosquitto's packet__queue), and loop_write sends the lot. */
	mosquitto_threaded_set(m, true);
	mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
	mosquitto_connect_callback_set(m, on_connect);
	mosquitto_disconnect_callback_set(m, on_disconnect);
	rc = mosquitto_connect_async(m, x->cfg.host, x->cfg.port, KEEPALIVE_S);
	x->fd = mosquitto_socket(m);
	if (rc != MOSQ_ERR_SUCCESS || x->fd < 0) {
		off_mqtt_close(x);
		return -ECONNREFUSED;
	}
	rearm(x);
	return 0;
}

int off_mqtt_publish(struct off_edgex *x, size_t len)
{
	int rc = mosquitto_publish(x->client, NULL, x->topic, (int)len, OFF_EDGEX_MSG(x), 0, false);

	if (rc == MOSQ_ERR_NO_CONN || rc == MOSQ_ERR_CONN_LOST || rc == MOSQ_ERR_ERRNO)
		x->lost = true;
	return rc ? -EIO : 0;
}

/* The last tick's events are still queued in the client: the broker is
 * not keeping up. */
bool off_mqtt_backlogged(struct off_edgex *x)
{
	return mosquitto_want_write(x->client);
}

/* libmosquitto writes each message with its own send(): corked, a tick's
 * burst leaves in full segments rather than a loopback round per event. */
static void cork(struct off_edgex *x, int on)
{
	setsockopt(x->fd, IPPROTO_TCP, TCP_CORK, &on, sizeof(on));
}

void off_mqtt_ready(struct off_edgex *x, unsigned int events)
{
	if (events & (POLLIN | POLLERR | POLLHUP))
		mosquitto_loop_read(x->client, 1);
	if (!x->lost && x->client && (events & POLLOUT)) {
		cork(x, 1);
		mosquitto_loop_write(x->client, 1);
		if (!x->lost)	/* else libmosquitto has closed the socket */
			cork(x, 0);
	}
	rearm(x);
}

void off_mqtt_tick(struct off_edgex *x)
{
	mosquitto_loop_misc(x->client);
	rearm(x);
}

void off_mqtt_close(struct off_edgex *x)
{
	off_edgex_cancel(x);
	mosquitto_destroy(x->client);
	x->client = NULL;
	x->fd = -1;
}
