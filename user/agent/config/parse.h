/* SPDX-License-Identifier: GPL-2.0 */
/* Strict parsers for the values of config files and command lines: the whole
 * string must be the value, or it is refused. */
#ifndef OFFLOAD_AGENT_CONFIG_PARSE_H
#define OFFLOAD_AGENT_CONFIG_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "offload/abi.h"

/* Decimal, or hex with 0x; no sign, no spaces. */
int off_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *v);
/* A finite decimal number. */
int off_parse_double(const char *s, double min, double max, double *v);
/* An integer with a unit: ms, s or m ("500ms", "2s", "1m"). */
int off_parse_duration_ms(const char *s, uint32_t min_ms, uint32_t max_ms, uint32_t *ms);
/* "500ms", "2s" or "1m": the shortest exact form of MS, for messages. */
const char *off_fmt_duration(uint32_t ms, char *buf, size_t len);
/* true/false, yes/no, on/off, 1/0. */
int off_parse_bool(const char *s, bool *v);
/* IPv4 (stored IPv4-mapped) or IPv6. */
int off_parse_ip(const char *s, uint8_t addr[16]);
bool off_ip_is_v4(const uint8_t addr[16]);
/* The address as text, IPv4-mapped ones as IPv4. */
const char *off_fmt_ip(const uint8_t addr[16], char *buf, size_t len);
/* "ip:port" or "[ip6]:port", port 1..65535; ep->proto is left alone. */
int off_parse_endpoint(const char *s, struct off_endpoint *ep);
/* The same, as a socket address for bind() or connect(). */
int off_parse_sockaddr(const char *s, struct sockaddr_storage *ss, socklen_t *len);
/* ep's address and port as a socket address; returns its length. */
socklen_t off_endpoint_sockaddr(const struct off_endpoint *ep, struct sockaddr_storage *ss);
/* 1..maxlen-1 of [A-Za-z0-9._-], starting with a letter or digit. */
int off_parse_name(const char *s, size_t maxlen);

#endif
