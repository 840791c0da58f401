/* SPDX-License-Identifier: MIT */
/*
 * mkstore - a clinic for the benchmark, written straight into a files
 * store (no fsync: this is the set-up, not the measure).
 *
 *   mkstore STORE N                      N unlinked practitioners
 *   mkstore STORE N physitrack FAKESTATE N linked on physitrack, and the
 *                                        fake server's state for them
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int main(int argc, char **argv)
{
	const char *integration = argc > 3 ? argv[3] : NULL;
	FILE *state = argc > 4 ? fopen(argv[4], "w") : NULL;
	long n;
	char dir[4096];

	if (argc < 3 || (integration && !state))
		return 64;
	n = atol(argv[2]);
	snprintf(dir, sizeof dir, "%s/practitioners", argv[1]);
	mkdir(argv[1], 0700);
	mkdir(dir, 0700);
	for (long i = 0; i < n; i++) {
		char id[32], email[64], pms[64], backend[64], path[4200];
		pl_link link = { 0 };
		pl_record rec = { 0 };

		snprintf(id, sizeof id, "bench%06ld", i);
		snprintf(email, sizeof email, "%s@clinic.example", id);
		snprintf(pms, sizeof pms, "PmsKey0123456789abcdefghijKLM%06ld", i);
		snprintf(backend, sizeof backend, "PtKey%06ld", i);
		rec.id = id;
		rec.first_name = "Bench";
		rec.last_name = "Practitioner";
		rec.email = email;
		rec.pms_key = pl_secret_new(pms, strlen(pms));
		rec.created_at = pl_now();
		if (integration) {
			link.integration = (char *)integration;
			link.state = PL_LINKED;
			link.backend_key = pl_secret_new(backend, strlen(backend));
			link.linked_at = link.verified_at = link.updated_at = rec.created_at;
			rec.links = &link;
			rec.n_links = 1;
			fprintf(state, "uk %s juvonno %s\n", backend, pms);
		}
		char *text = pl_record_format(&rec);
		snprintf(path, sizeof path, "%s/%s.json", dir, id);
		FILE *f = fopen(path, "w");
		if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
			perror(path);
			return 1;
		}
		chmod(path, 0600);
		free(text);
		pl_secret_free(rec.pms_key);
		pl_secret_free(link.backend_key);
	}
	if (state)
		fclose(state);
	return 0;
}
