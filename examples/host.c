/* SPDX-License-Identifier: MIT */
/*
 * host.c - the smallest PMS that embeds libpractlink.
 *
 *   host CONFIG ID FIRST LAST EMAIL
 *
 * Adds the practitioner if the store lacks them, links them, and prints
 * their link's status. When the platform leaves steps to a person, it
 * shows them with the PMS key to paste, as a PMS would in its own UI, and
 * reads the key the platform generated from standard input.
 *
 * Build: cc host.c $(pkg-config --cflags --libs practlink)
 */
#include <stdio.h>
#include <string.h>

#include <practlink.h>

static void show_log(void *data, int level, const char *msg)
{
	fprintf(stderr, "host: practlink: %s\n", msg);
}

static practlink_status show_status(void *data, const practlink_link_info *in)
{
	printf("%s on %s: %s, platform key ending %s\n", in->id, in->integration, in->state,
	       in->key_hint ? in->key_hint : "(none)");
	return PRACTLINK_OK;
}

/* What a PMS shows its user when the platform has no API for a step. */
static practlink_status assisted_link(practlink_ctx *ctx, const char *id)
{
	practlink_assist *a;
	char key[512];
	practlink_status st;

	if ((st = practlink_assist_begin(ctx, id, NULL, 0, &a)) != PRACTLINK_OK)
		return st;
	if (practlink_assist_needs_key(a)) {
		printf("Please do this on the platform:\n");
		for (size_t i = 0; i < practlink_assist_count(a); i++)
			printf("  %zu. %s\n", i + 1, practlink_assist_text(a, i));
		printf("PMS key to paste: %s\n", practlink_assist_pms_key(a));
		printf("The key the platform generated: ");
		fflush(stdout);
		if (!fgets(key, sizeof key, stdin))
			key[0] = '\0';
		st = practlink_assist_finish(ctx, a, key, strlen(key));
		memset(key, 0, sizeof key);
	}
	practlink_assist_free(a);
	return st;
}

int main(int argc, char **argv)
{
	practlink_person p;
	practlink_ctx *ctx;
	practlink_status st;

	if (argc != 6) {
		fprintf(stderr, "usage: host CONFIG ID FIRST LAST EMAIL\n");
		return 64;
	}
	p = (practlink_person){ argv[2], argv[3], argv[4], argv[5], NULL };
	if (practlink_new(&ctx) != PRACTLINK_OK)
		return 70;
	practlink_set_log(ctx, PRACTLINK_LOG_WARNING, show_log, NULL);
	st = practlink_load_config(ctx, argv[1]);
	if (st == PRACTLINK_OK) {
		st = practlink_practitioner_add(ctx, &p, NULL, 0);
		if (st == PRACTLINK_USAGE) /* already there */
			st = PRACTLINK_OK;
	}
	if (st == PRACTLINK_OK)
		st = assisted_link(ctx, p.id);
	if (st == PRACTLINK_OK)
		st = practlink_status_each(ctx, p.id, NULL, show_status, NULL);
	if (st != PRACTLINK_OK)
		fprintf(stderr, "host: %s\nhost: hint: %s\n", practlink_errmsg(ctx),
			practlink_hint(st));
	practlink_free(ctx);
	return practlink_exit_code(st);
}
