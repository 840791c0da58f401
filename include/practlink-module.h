/* SPDX-License-Identifier: MIT */
/*
 * practlink-module.h - what a practlink backend module implements and may call.
 *
 * A backend module is a shared object in practlink's module folder that
 * exports exactly one symbol, PRACTLINK_BACKEND_SYMBOL, a const
 * practlink_backend table. It links against nothing of practlink's: every
 * service it needs (settings, logging, HTTP, secrets) comes in the
 * practlink_services table handed to open(). The core opens one instance per
 * worker thread, so a module holds no global mutable state and its code need
 * not be thread-safe beyond this: open() may run in several workers at the
 * same time (each for its own instance), and so may every operation on
 * different instances.
 */
#ifndef PRACTLINK_MODULE_H
#define PRACTLINK_MODULE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The ABI this header describes; a module's table must carry it in abi,
 * and its own size in size. Operations are only ever appended to the
 * table: the core uses one only when the module's size covers it, so a
 * module built before an operation was added still loads, and one built
 * after loads in an older core, which ignores what it does not know. */
#define PRACTLINK_MODULE_ABI 2
#define PRACTLINK_BACKEND_SYMBOL "practlink_backend_v1"

#if defined(__GNUC__)
#define PRACTLINK_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define PRACTLINK_EXPORT __attribute__((visibility("default")))
#else
#define PRACTLINK_PRINTF(f, a)
#define PRACTLINK_EXPORT
#endif

/* Every operation's result. A value outside the enum counts as INTERNAL. */
typedef enum practlink_status {
#define PRACTLINK_STATUS(name, exit, text, hint) PRACTLINK_##name,
#include "practlink-status.def"
#undef PRACTLINK_STATUS
} practlink_status;

/* The steps of a link that a module may or may not offer an API for. */
typedef enum practlink_step {
	PRACTLINK_STEP_FIND_USER = 1,
	PRACTLINK_STEP_CREATE_USER,
	PRACTLINK_STEP_SET_INTEGRATION,
	PRACTLINK_STEP_EXCHANGE,
	PRACTLINK_STEP_VERIFY,
	PRACTLINK_STEP_REVOKE,
} practlink_step;

/* Log levels, the syslog(3) values. */
enum {
	PRACTLINK_LOG_ERR = 3,
	PRACTLINK_LOG_WARNING = 4,
	PRACTLINK_LOG_NOTICE = 5,
	PRACTLINK_LOG_INFO = 6,
	PRACTLINK_LOG_DEBUG = 7,
};

/*
 * A key. str holds len bytes and a terminating NUL. Secrets are allocated
 * and freed only through the services table; the free wipes them. A secret
 * is never passed to a log or error format: the type makes %s a warning.
 */
typedef struct practlink_secret {
	size_t len;
	char *str;
} practlink_secret;

/* The practitioner an operation is about; every string is read-only. */
typedef struct practlink_person {
	const char *id; /* the PMS staff id */
	const char *first_name;
	const char *last_name;
	const char *email;
	const char *user_id; /* the backend user's id once known, else NULL */
} practlink_person;

/* Backend user ids fit in this many bytes, the NUL included. */
#define PRACTLINK_USER_ID_MAX 128

/* One request header. When secret is set it supplies the value and the
 * header is never logged; the core wipes its copies after the request. */
typedef struct practlink_http_header {
	const char *name;
	const char *value;
	const practlink_secret *secret;
} practlink_http_header;

typedef struct practlink_http_request {
	const char *method; /* "GET", "POST", ... */
	const char *url;
	const practlink_http_header *headers;
	size_t n_headers;
	const char *body; /* NULL for none */
	size_t body_len;
	int idempotent; /* may the core retry it? */
} practlink_http_request;

/* Filled by services->http; release with services->http_free. */
typedef struct practlink_http_response {
	long code;  /* HTTP status, 0 when none arrived */
	char *body; /* NUL-terminated, body_len bytes */
	size_t body_len;
	char *content_type; /* NULL when absent */
	long retry_after_s; /* -1 when absent */
} practlink_http_response;

typedef struct practlink_services practlink_services;

/*
 * What the core offers a module instance. Fields are only ever appended;
 * version says which are there. Settings come from the integration's
 * "settings" group; a setting of the wrong type is CONFIG, with the file,
 * line and setting recorded as the error.
 */
#define PRACTLINK_SERVICES_VERSION 3
struct practlink_services {
	unsigned version;
	const char *integration; /* this instance's integration name */
	const char *pms_name;    /* how the PMS names itself to platforms */

	/* Settings: *out is def when the setting is absent. Strings stay valid
	 * until close(); a path is resolved against the file's folder and must
	 * be freed with services->free. */
	practlink_status (*setting_string)(const practlink_services *svc, const char *name,
					   const char *def, const char **out);
	practlink_status (*setting_int)(const practlink_services *svc, const char *name,
					long long def, long long *out);
	practlink_status (*setting_double)(const practlink_services *svc, const char *name,
					   double def, double *out);
	practlink_status (*setting_bool)(const practlink_services *svc, const char *name, int def,
					 int *out);
	practlink_status (*setting_path)(const practlink_services *svc, const char *name,
					 const char *def, char **out);

	/* Logs a line prefixed with the integration and the current step. */
	void (*log)(const practlink_services *svc, int level, const char *fmt, ...)
		PRACTLINK_PRINTF(3, 4);
	/* Sets the message that goes with the status the current operation is
	 * about to return. Never put a key in it. */
	void (*error)(const practlink_services *svc, const char *fmt, ...) PRACTLINK_PRINTF(2, 3);

	/* A secret holding a copy of len bytes of data; NULL on no memory. */
	practlink_secret *(*secret_new)(const char *data, size_t len);
	/* Wipes and frees; NULL is fine. */
	void (*secret_free)(practlink_secret *secret);
	void (*free)(void *ptr);

	/* One HTTP exchange under the core's policy (HTTPS only, no redirects,
	 * timeouts, response cap, retries of idempotent requests). OK means an
	 * answer arrived, whatever its code; TRANSIENT means none did. */
	practlink_status (*http)(const practlink_services *svc, const practlink_http_request *req,
				 practlink_http_response *resp);
	void (*http_free)(practlink_http_response *resp);

	void *core; /* the core's own; a module leaves it alone */

	/* Version 2. What the operator should do about the failure just set
	 * with error(), when the status's own hint would not fit the cause
	 * (a 403 is not a key typed wrong). */
	void (*hint)(const practlink_services *svc, const char *fmt, ...) PRACTLINK_PRINTF(2, 3);

	/* Version 3. Nonzero once the operation under way should end: the
	 * run is stopping (SIGINT, practlink_bulk_stop()) or the operation's
	 * deadline has passed. services->http ends by itself; a module that
	 * waits on anything else polls this every 100 ms or so and returns
	 * TRANSIENT. */
	int (*cancelled)(const practlink_services *svc);
	/* The main configuration file and the module folder this instance
	 * was opened from, for a module that starts a helper which must find
	 * them (exec.so's practlink-module-host). */
	const char *config_file;
	const char *module_dir;
};

/*
 * The table a module exports as PRACTLINK_BACKEND_SYMBOL. open, close,
 * verify and manual_step are required. Each other operation may be NULL: a
 * step the platform offers no API for, which the core turns into a step for
 * the operator in the words manual_step gives.
 */
typedef struct practlink_backend {
	unsigned abi;     /* PRACTLINK_MODULE_ABI */
	unsigned size;    /* sizeof(practlink_backend), as the module was built */
	const char *name; /* must equal the file's name without ".so" */
	const char *version;
	const char *description;

	/* Opens an instance. svc stays valid until close(). */
	practlink_status (*open)(const practlink_services *svc, void **instance);
	void (*close)(void *instance);

	/* A real authenticated request proving that the pair of keys works. */
	practlink_status (*verify)(void *instance, const practlink_person *p,
				   const practlink_secret *pms_key,
				   const practlink_secret *backend_key);

	/* The backend user for p: NO_USER when there is none. */
	practlink_status (*find_user)(void *instance, const practlink_person *p,
				      char user_id[PRACTLINK_USER_ID_MAX]);
	practlink_status (*create_user)(void *instance, const practlink_person *p,
					char user_id[PRACTLINK_USER_ID_MAX]);
	/* The platform's "Integrate with" choice for p's user. */
	practlink_status (*set_integration)(void *instance, const practlink_person *p,
					    const char *pms_name);
	/* Hands the PMS key to the platform; *backend_key gets the key the
	 * platform generated, allocated with svc->secret_new. */
	practlink_status (*exchange)(void *instance, const practlink_person *p,
				     const practlink_secret *pms_key,
				     practlink_secret **backend_key);
	practlink_status (*revoke)(void *instance, const practlink_person *p);

	/* After verify failed, looks further for why (another region that
	 * knows the keys, say) and writes one sentence into buf, like
	 * snprintf; -1 when it has nothing to add. May be NULL. */
	int (*diagnose)(void *instance, const practlink_person *p, const practlink_secret *pms_key,
			const practlink_secret *backend_key, char *buf, size_t size);

	/* Writes into buf (like snprintf) what the operator does by hand for a
	 * step the module has no operation for; returns the length it needed,
	 * or -1 if it has no words for that step. */
	int (*manual_step)(void *instance, practlink_step step, const practlink_person *p,
			   char *buf, size_t size);

	/* --- Appended operations: each may be NULL, and is NULL to the core
	 * when the module's table is too short to hold it. --- */

	/* Whether the platform answers at all, with no practitioner's keys: a
	 * cheap request that proves the address, not any key. OK with one
	 * sentence in buf (like snprintf) saying where it answered; else
	 * TRANSIENT (no answer) or CONFIG (no such API there), with the reason
	 * given to svc->error. */
	practlink_status (*probe)(void *instance, char *buf, size_t size);

	/* Whether this instance has an operation for step, for a module whose
	 * steps depend on how it was opened (exec.so: on the program it runs).
	 * NULL: every operation the table holds. The core calls no operation
	 * this denies; it gives the operator that step in manual_step's words. */
	int (*offers)(void *instance, practlink_step step);
} practlink_backend;

/* The shortest table of this ABI: everything up to manual_step. */
#define PRACTLINK_BACKEND_MIN_SIZE                                                                 \
	(offsetof(practlink_backend, manual_step) + sizeof(void (*)(void)))

#ifdef __cplusplus
}
#endif

#endif /* PRACTLINK_MODULE_H */
