/* SPDX-License-Identifier: MIT */
/*
 * http.c - the one way modules talk to platforms, under one policy.
 *
 * HTTPS only, with peer and host verification and TLS 1.2 or later;
 * plain HTTP only to a loopback address, and only for an integration
 * whose settings say allow_insecure_http = true (tests). Redirects are
 * never followed. An answer is capped at max_response_bytes, in the write
 * callback. http.timeout_ms bounds the whole request, retries included;
 * idempotent requests are retried on connection errors and on 408, 429,
 * 502, 503 and 504, after an exponential backoff with full jitter, or
 * after the Retry-After the platform asked for when that fits in what is
 * left of the timeout. DNS and TLS sessions are shared by every worker of
 * a context; each worker has an easy handle of its own, which keeps its
 * connection open from one request to the next.
 * Header values are never logged, and copies of keys are wiped after use.
 */
#include "internal.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#define BACKOFF_BASE_MS 200
#define BACKOFF_CAP_MS 5000
#define JSON_MAX_DEPTH 32

struct pl_http_share {
	CURLSH *sh;
	pthread_mutex_t locks[CURL_LOCK_DATA_LAST];
};

struct pl_http {
	CURL *easy;
	CURLSH *share;
	const atomic_int *stop; /* the run's stop flag, or NULL */
	pl_pacer *pacer;        /* the integration's pace in this run, or NULL */
	long long deadline;     /* a budget over several requests, or 0 */
	const pl_http_conf *conf;
	const pl_log *log;
	bool allow_insecure;
	uint64_t rng;
	bool plain;                /* this request is plain HTTP */
	char why[CURL_ERROR_SIZE]; /* curl's own words for the last failure */
	char refused_ip[64];       /* the address a plain request was refused for */
	/* The answer being received. */
	char *body;
	size_t len, cap;
	bool too_big;
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc;

/* libcurl's own copies of headers and bodies hold keys: everything it
 * frees is wiped first. (A host that started libcurl before practlink
 * keeps its own allocator.) */
static void wiped_free(void *p)
{
	if (p) {
		explicit_bzero(p, malloc_usable_size(p));
		free(p);
	}
}

static void *wiped_realloc(void *p, size_t size)
{
	size_t old = p ? malloc_usable_size(p) : 0;
	void *q;

	if (size == 0) {
		wiped_free(p);
		return NULL;
	}
	if (!(q = malloc(size)))
		return NULL;
	if (p)
		memcpy(q, p, old < size ? old : size);
	wiped_free(p);
	return q;
}

static void global_init(void)
{
	global_rc = curl_global_init_mem(CURL_GLOBAL_DEFAULT, malloc, wiped_free, wiped_realloc,
					 strdup, calloc);
}

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *p)
{
	pthread_mutex_lock(&((pl_http_share *)p)->locks[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *p)
{
	pthread_mutex_unlock(&((pl_http_share *)p)->locks[data]);
}

practlink_status pl_http_share_new(pl_http_share **out, pl_err *err)
{
	pl_http_share *s;

	*out = NULL;
	pthread_once(&global_once, global_init);
	if (global_rc != CURLE_OK)
		return pl_err_set(err, PRACTLINK_INTERNAL, "libcurl: %s",
				  curl_easy_strerror(global_rc));
	if (!(s = calloc(1, sizeof *s)) || !(s->sh = curl_share_init())) {
		free(s);
		return pl_err_set(err, PRACTLINK_INTERNAL, "out of memory");
	}
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&s->locks[i], NULL);
	curl_share_setopt(s->sh, CURLSHOPT_LOCKFUNC, share_lock);
	curl_share_setopt(s->sh, CURLSHOPT_UNLOCKFUNC, share_unlock);
	curl_share_setopt(s->sh, CURLSHOPT_USERDATA, s);
	curl_share_setopt(s->sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	curl_share_setopt(s->sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	/* Connections stay with each worker's handle, which reuses its own
	 * for the whole run: sharing the pool too would only add a lock that
	 * every request of every worker contends for. */
	*out = s;
	return PRACTLINK_OK;
}

void pl_http_share_free(pl_http_share *s)
{
	if (!s)
		return;
	curl_share_cleanup(s->sh);
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_destroy(&s->locks[i]);
	free(s);
}

practlink_status pl_http_new(pl_http_share *share, const pl_http_conf *conf, const pl_log *log,
			     pl_pacer *pacer, bool allow_insecure, const atomic_int *stop,
			     pl_http **out, pl_err *err)
{
	pl_http *h = calloc(1, sizeof *h);

	*out = NULL;
	if (!h || !(h->easy = curl_easy_init())) {
		free(h);
		return pl_err_set(err, PRACTLINK_INTERNAL, "out of memory");
	}
	h->conf = conf;
	h->log = log;
	h->pacer = pacer;
	h->allow_insecure = allow_insecure;
	if (getrandom(&h->rng, sizeof h->rng, 0) != sizeof h->rng)
		h->rng = (uint64_t)time(NULL);
	h->rng |= 1;
	h->share = share->sh;
	h->stop = stop;
	*out = h;
	return PRACTLINK_OK;
}

void pl_http_free(pl_http *h)
{
	if (!h)
		return;
	curl_easy_cleanup(h->easy);
	wiped_free(h->body);
	free(h);
}

long long pl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#define now_ms pl_now_ms

void pl_http_set_deadline(pl_http *h, long long deadline_ms)
{
	if (h)
		h->deadline = deadline_ms;
}

static bool stopped(const pl_http *h)
{
	return h->stop && atomic_load(h->stop);
}

/* Sleeps ms, in slices short enough to notice a stop. */
static void sleep_ms(const pl_http *h, long long ms)
{
	for (long long end = now_ms() + ms; !stopped(h) && now_ms() < end;) {
		long long slice = end - now_ms() < 100 ? end - now_ms() : 100;
		struct timespec ts = { 0, (long)slice * 1000000 };
		if (slice > 0)
			nanosleep(&ts, NULL);
	}
}

/* curl calls this while a transfer goes on: non-zero ends it. */
static int on_progress(void *p, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	return stopped(p);
}

/* Whether host names loopback by itself: "localhost", or a literal
 * address in 127.0.0.0/8 or ::1. A name that merely begins with "127." may
 * resolve anywhere. */
static bool is_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;
	char bare[64];

	if (strcmp(host, "localhost") == 0)
		return true;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	snprintf(bare, sizeof bare, "%s", host[0] == '[' ? host + 1 : host);
	if (bare[0] && bare[strlen(bare) - 1] == ']')
		bare[strlen(bare) - 1] = '\0';
	return inet_pton(AF_INET6, bare, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

/* Before a plain HTTP request is sent, the address it connected to must
 * be loopback: the name was, but names resolve where DNS says. */
static int loopback_only(void *p, char *primary_ip, char *local_ip, int primary_port,
			 int local_port)
{
	pl_http *h = p;

	if (h->plain && !is_loopback(primary_ip)) {
		snprintf(h->refused_ip, sizeof h->refused_ip, "%s", primary_ip);
		return CURL_PREREQFUNC_ABORT;
	}
	return CURL_PREREQFUNC_OK;
}

/* HTTPS, or HTTP to loopback when this integration allows it. */
static practlink_status check_url(pl_http *h, const char *url, pl_err *err)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL;
	practlink_status st = PRACTLINK_OK;

	if (!u)
		return pl_err_set(err, PRACTLINK_INTERNAL, "out of memory");
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		st = pl_err_set(err, PRACTLINK_CONFIG, "%s: not a URL", url);
	else if (strcmp(scheme, "https") != 0 &&
		 !(strcmp(scheme, "http") == 0 && h->allow_insecure && is_loopback(host)))
		st = pl_err_set(err, PRACTLINK_CONFIG,
				"%s: only https is allowed (plain http only to a loopback address, "
				"with allow_insecure_http = true)",
				url);
	h->plain = st == PRACTLINK_OK && strcmp(scheme, "http") == 0;
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return st;
}

static size_t on_body(char *data, size_t size, size_t n, void *p)
{
	pl_http *h = p;
	size_t len = size * n;

	if (h->len + len > (size_t)h->conf->max_response_bytes) {
		h->too_big = true;
		return 0; /* refused before it is stored: memory stays bounded */
	}
	if (h->len + len + 1 > h->cap) {
		size_t cap = h->cap ? h->cap : 4096;
		while (cap < h->len + len + 1)
			cap *= 2;
		/* Not realloc: the old block may hold an answer that echoed a key. */
		char *more = wiped_realloc(h->body, cap);
		if (!more)
			return 0;
		h->body = more;
		h->cap = cap;
	}
	memcpy(h->body + h->len, data, len);
	h->len += len;
	h->body[h->len] = '\0';
	return len;
}

static bool retryable_code(long code)
{
	return code == 408 || code == 429 || code == 502 || code == 503 || code == 504;
}

static bool retryable_error(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR: return true;
	default: return false;
	}
}

/* The wait before attempt n + 1: full jitter over an exponential window. */
static long long backoff_ms(pl_http *h, int n)
{
	long long window = BACKOFF_BASE_MS << (n < 10 ? n : 10);

	if (window > BACKOFF_CAP_MS)
		window = BACKOFF_CAP_MS;
	h->rng ^= h->rng << 13;
	h->rng ^= h->rng >> 7;
	h->rng ^= h->rng << 17;
	return (long long)(h->rng % (uint64_t)(window + 1));
}

/* Header lines for curl; secret values are copied, then wiped by free. */
static struct curl_slist *headers_of(const practlink_http_request *req)
{
	struct curl_slist *list = NULL, *more;
	char line[2048];

	more = curl_slist_append(NULL, "User-Agent: practlink/" PACKAGE_VERSION);
	if (!more)
		return NULL;
	list = more;
	for (size_t i = 0; i < req->n_headers; i++) {
		const practlink_http_header *hd = &req->headers[i];
		const char *value = hd->secret ? hd->secret->str : hd->value ? hd->value : "";
		snprintf(line, sizeof line, "%s: %s", hd->name, value);
		more = curl_slist_append(list, line);
		explicit_bzero(line, sizeof line);
		if (!more) {
			curl_slist_free_all(list);
			return NULL;
		}
		list = more;
	}
	return list;
}

static void headers_free(struct curl_slist *list)
{
	for (struct curl_slist *l = list; l; l = l->next)
		explicit_bzero(l->data, strlen(l->data));
	curl_slist_free_all(list);
}

static void setup(pl_http *h, const practlink_http_request *req, struct curl_slist *headers,
		  long long remaining)
{
	CURL *e = h->easy;
	long connect = (long)(h->conf->connect_timeout_ms < remaining ? h->conf->connect_timeout_ms
								      : remaining);

	/* Every option afresh: nothing of the last request (its body, its
	 * method) may reach this one. Connections, DNS and TLS sessions stay. */
	curl_easy_reset(e);
	curl_easy_setopt(e, CURLOPT_SHARE, h->share);
	curl_easy_setopt(e, CURLOPT_PREREQFUNCTION, loopback_only);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, h->why);
	curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(e, CURLOPT_XFERINFODATA, h);
	h->why[0] = '\0';
	curl_easy_setopt(e, CURLOPT_PREREQDATA, h);
	curl_easy_setopt(e, CURLOPT_URL, req->url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, h->allow_insecure ? "http,https" : "https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(e, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, connect);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)remaining);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, 30L);
	curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)h->conf->max_response_bytes);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, h);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req->method);
	curl_easy_setopt(e, CURLOPT_NOBODY, strcmp(req->method, "HEAD") == 0 ? 1L : 0L);
	curl_easy_setopt(e, CURLOPT_PROXY, h->conf->proxy ? h->conf->proxy : "");
	if (h->conf->ca_file)
		curl_easy_setopt(e, CURLOPT_CAINFO, h->conf->ca_file);
	if (req->body) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, req->body);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
	} else if (strcmp(req->method, "GET") == 0) {
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	}
	h->len = 0;
	h->too_big = false;
	h->refused_ip[0] = '\0';
}

/* Whether the handshake failed for want of TLS 1.2: no retry mends that. */
static bool old_tls(const pl_http *h, CURLcode rc)
{
	return rc == CURLE_SSL_CONNECT_ERROR &&
	       (strstr(h->why, "protocol version") || strstr(h->why, "unsupported protocol") ||
		strstr(h->why, "no protocols available"));
}

/* A certificate refused: which check failed, from curl's verify result
 * (OpenSSL's X509_V_ERR_* numbers) and words, and what to do. */
static practlink_status tls_refused(pl_http *h, const char *url, CURLcode rc, pl_err *err)
{
	long result = 0;
	const char *what = NULL, *hint = "check the server's certificate, and http.ca_file";

	curl_easy_getinfo(h->easy, CURLINFO_SSL_VERIFYRESULT, &result);
	switch (result) {
	case 9: /* X509_V_ERR_CERT_NOT_YET_VALID */
		what = "is not valid yet";
		hint = "check this machine's clock, then the certificate's dates";
		break;
	case 10: /* X509_V_ERR_CERT_HAS_EXPIRED */
		what = "has expired";
		hint = "the platform must renew its certificate; check this machine's clock too";
		break;
	case 18: /* X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT */
	case 19: /* X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN */
	case 20: /* X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY */
	case 21: /* X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE */
		what = "is signed by an authority this system does not know";
		hint = "if the platform uses a private CA, name its certificate in http.ca_file";
		break;
	case 62: /* X509_V_ERR_HOSTNAME_MISMATCH */ what = "is for another host name"; break;
	default:
		if (strstr(h->why, "subject name") || strstr(h->why, "host name"))
			what = "is for another host name";
		break;
	}
	if (what && strcmp(what, "is for another host name") == 0)
		hint = "check the integration's base_url (or region): it names another server";
	if (rc == CURLE_SSL_CACERT_BADFILE) {
		what = "cannot be checked: http.ca_file cannot be read";
		hint = "name a readable PEM file in http.ca_file, or leave it empty";
	}
	pl_err_set(err, PRACTLINK_CONFIG, "%s: the server's certificate %s (%s)", url,
		   what ? what : "cannot be verified", h->why[0] ? h->why : curl_easy_strerror(rc));
	return pl_err_hint(err, "%s", hint);
}

/* What an attempt that got no answer means to the operator. */
static practlink_status no_answer(pl_http *h, const char *url, CURLcode rc, pl_err *err)
{
	if (h->too_big || rc == CURLE_FILESIZE_EXCEEDED)
		return pl_err_set(err, PRACTLINK_PROTOCOL,
				  "%s: the answer is larger than %lld bytes", url,
				  h->conf->max_response_bytes);
	if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE)
		return tls_refused(h, url, rc, err);
	if (old_tls(h, rc))
		return pl_err_set(
			err, PRACTLINK_PROTOCOL,
			"%s: the server offers only TLS 1.0 or 1.1 (%s); practlink speaks "
			"TLS 1.2 or later only",
			url, h->why);
	if (rc == CURLE_ABORTED_BY_CALLBACK && stopped(h))
		return pl_err_set(err, PRACTLINK_TRANSIENT, "%s: stopped before an answer came",
				  url);
	if (rc == CURLE_ABORTED_BY_CALLBACK && h->refused_ip[0])
		return pl_err_set(err, PRACTLINK_CONFIG,
				  "%s: plain http goes only to loopback, and this name led to %s; "
				  "nothing was sent",
				  url, h->refused_ip);
	if (rc == CURLE_UNSUPPORTED_PROTOCOL)
		return pl_err_set(err, PRACTLINK_CONFIG, "%s: %s", url, curl_easy_strerror(rc));
	return pl_err_set(err, PRACTLINK_TRANSIENT, "%s: %s", url, curl_easy_strerror(rc));
}

practlink_status pl_http_request(pl_http *h, const practlink_http_request *req,
				 practlink_http_response *resp, pl_err *err)
{
	long long deadline = now_ms() + h->conf->timeout_ms;

	if (h->deadline && h->deadline < deadline)
		deadline = h->deadline;
	struct curl_slist *headers;
	practlink_status st;
	CURLcode rc;
	long code = 0;
	curl_off_t retry_after = -1;

	memset(resp, 0, sizeof *resp);
	resp->retry_after_s = -1;
	if ((st = check_url(h, req->url, err)))
		return st;
	if (!(headers = headers_of(req)))
		return pl_err_set(err, PRACTLINK_INTERNAL, "out of memory");
	for (int attempt = 0;; attempt++) {
		long long remaining = deadline - now_ms(), wait;

		if (stopped(h)) {
			st = pl_err_set(err, PRACTLINK_TRANSIENT,
					"%s: stopped before an answer came", req->url);
			break;
		}
		if (remaining <= 0) {
			st = pl_err_set(err, PRACTLINK_TRANSIENT, "%s: no answer within %lld ms",
					req->url, h->conf->timeout_ms);
			break;
		}
		if (h->pacer) {
			long long turn = (pl_pacer_turn(h->pacer) - pl_now_us() + 999) / 1000;
			if (turn >= remaining) {
				st = pl_err_set(err, PRACTLINK_TRANSIENT,
						"%s: no turn to ask within %lld ms: the platform "
						"asked practlink to slow down",
						req->url, h->conf->timeout_ms);
				break;
			}
			sleep_ms(h, turn);
			if (stopped(h))
				continue;
			remaining = deadline - now_ms();
		}
		setup(h, req, headers, remaining);
		rc = curl_easy_perform(h->easy);
		code = 0;
		retry_after = -1;
		if (rc == CURLE_OK) {
			curl_easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, &code);
			curl_easy_getinfo(h->easy, CURLINFO_RETRY_AFTER, &retry_after);
		}
		pl_log_msg(h->log, PRACTLINK_LOG_DEBUG, "%s %s: %s%ld (attempt %d)", req->method,
			   req->url, rc == CURLE_OK ? "HTTP " : curl_easy_strerror(rc), code,
			   attempt + 1);
		/* A 429 slows every worker down, and is no failure of this
		 * request's own: it is asked again at its turn, until the timeout,
		 * unless the platform asks for more time than is left. */
		if (rc == CURLE_OK && h->pacer &&
		    pl_pacer_answered(h->pacer, code, retry_after, h->log, req->url) &&
		    code == 429 && req->idempotent) {
			remaining = deadline - now_ms();
			if (retry_after <= 0 ||
			    (retry_after <= remaining / 1000 && retry_after * 1000 < remaining)) {
				attempt--;
				continue;
			}
		}
		bool again = req->idempotent && attempt < h->conf->retries &&
			     (rc == CURLE_OK ? retryable_code(code)
					     : retryable_error(rc) && !old_tls(h, rc));
		if (!again) {
			st = rc == CURLE_OK ? PRACTLINK_OK : no_answer(h, req->url, rc, err);
			break;
		}
		remaining = deadline - now_ms();
		if (retry_after > 0 &&
		    (retry_after > remaining / 1000 || retry_after * 1000 >= remaining)) {
			/* Compared in seconds before any product: the number is the
			 * network's, and may be as large as curl_off_t goes. */
			st = pl_err_set(
				err, PRACTLINK_TRANSIENT,
				"%s: the platform answered HTTP %ld and asks to be asked again "
				"in %lld s, later than http.timeout_ms allows",
				req->url, code, (long long)retry_after);
			pl_err_hint(err, "try again after %lld seconds (nothing was lost)",
				    (long long)retry_after);
			break;
		}
		wait = retry_after > 0 ? (long long)retry_after * 1000 : backoff_ms(h, attempt);
		if (wait >= remaining) {
			/* Backing off past the timeout: this is the answer we have. */
			st = rc == CURLE_OK ? PRACTLINK_OK : no_answer(h, req->url, rc, err);
			break;
		}
		sleep_ms(h, wait);
	}
	headers_free(headers);
	if (st != PRACTLINK_OK)
		return st;
	if (h->len > 0 && !pl_json_depth_ok(h->body, h->len, JSON_MAX_DEPTH))
		return pl_err_set(err, PRACTLINK_PROTOCOL, "%s: the answer nests deeper than %d",
				  req->url, JSON_MAX_DEPTH);
	const char *ct = NULL;
	curl_easy_getinfo(h->easy, CURLINFO_CONTENT_TYPE, &ct);
	resp->code = code;
	resp->retry_after_s = (long)retry_after;
	resp->body_len = h->len;
	resp->body = malloc(h->len + 1);
	resp->content_type = ct ? strdup(ct) : NULL;
	if (!resp->body || (ct && !resp->content_type)) {
		free(resp->body);
		free(resp->content_type);
		memset(resp, 0, sizeof *resp);
		return pl_err_set(err, PRACTLINK_INTERNAL, "out of memory");
	}
	if (h->len)
		memcpy(resp->body, h->body, h->len);
	resp->body[h->len] = '\0';
	if (h->body) /* the module's copy is the only one */
		explicit_bzero(h->body, h->len);
	return PRACTLINK_OK;
}
