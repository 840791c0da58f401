/* SPDX-License-Identifier: MIT */
/* secrets.c - keys in and out of practlink(1): from a file closed to
 * others or standard input, from the terminal without echo, and to the
 * terminal only. Never through argv. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

long cli_read_key_file(const char *path, char *buf, size_t size)
{
	bool std_in = strcmp(path, "-") == 0;
	int fd = std_in ? 0 : open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	char msg[4300], hint[4200];
	struct stat st;
	size_t len = 0;
	int rc;

	if (fd < 0) {
		snprintf(msg, sizeof msg, "%s: %s", path,
			 errno == ELOOP ? "is a symbolic link; name the real file"
					: strerror(errno));
		return -cli_fail_with(errno == ENOENT ? PRACTLINK_NO_INPUT : PRACTLINK_USAGE, msg,
				      errno == ENOENT ? practlink_hint(PRACTLINK_NO_INPUT) : "");
	}
	if (!std_in && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077))) {
		snprintf(msg, sizeof msg,
			 "%s: a key file must be a regular file closed to others (mode %04o)", path,
			 (unsigned)st.st_mode & 07777);
		snprintf(hint, sizeof hint, "run: chmod 600 %s", path);
		close(fd);
		return -cli_fail_with(PRACTLINK_USAGE, msg, hint);
	}
	if (!std_in && st.st_uid != 0 && st.st_uid != getuid()) {
		snprintf(msg, sizeof msg,
			 "%s: owned by uid %u, neither root nor you (uid %u); a key file must not "
			 "be trusted from anyone else",
			 path, (unsigned)st.st_uid, (unsigned)getuid());
		close(fd);
		return -cli_fail_with(PRACTLINK_USAGE, msg, "");
	}
	for (;;) {
		ssize_t n = read(fd, buf + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len == size - 1) {
			snprintf(msg, sizeof msg, "%s: longer than a key can be", path);
			explicit_bzero(buf, size);
			if (!std_in)
				close(fd);
			rc = cli_fail_with(PRACTLINK_BAD_KEY, msg, "");
			return -rc;
		}
	}
	if (!std_in)
		close(fd);
	buf[len] = '\0';
	return (long)len;
}

FILE *cli_tty(void)
{
	int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	FILE *f;

	if (fd < 0)
		return NULL;
	if (!(f = fdopen(fd, "r+"))) {
		close(fd);
		return NULL;
	}
	setvbuf(f, NULL, _IONBF, 0);
	return f;
}

static volatile sig_atomic_t prompt_signal;

static void at_prompt(int sig)
{
	prompt_signal = sig;
}

long cli_read_hidden(FILE *tty, const char *prompt, char *buf, size_t size)
{
	static const int signals[] = { SIGINT, SIGQUIT, SIGTERM };
	struct sigaction sa = { .sa_handler = at_prompt }, old[3];
	struct termios saved, quiet;
	bool restore;
	char *got;

	if (!tty)
		return -1;
	/* No SA_RESTART: a signal ends the read, and the terminal gets its
	 * echo back before practlink goes. */
	prompt_signal = 0;
	for (size_t i = 0; i < 3; i++)
		sigaction(signals[i], &sa, &old[i]);
	/* Echo goes off, and what was typed ahead is dropped, before the
	 * prompt shows: a key typed after the prompt is never lost. */
	restore = tcgetattr(fileno(tty), &saved) == 0;
	if (restore) {
		quiet = saved;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		quiet.c_lflag |= ICANON;
		tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
	}
	fputs(prompt, tty);
	got = prompt_signal ? NULL : fgets(buf, (int)size, tty);
	if (restore)
		tcsetattr(fileno(tty), TCSANOW, &saved);
	fputs("\n", tty);
	for (size_t i = 0; i < 3; i++)
		sigaction(signals[i], &old[i], NULL);
	if (prompt_signal) {
		explicit_bzero(buf, size);
		fprintf(stderr, "practlink: interrupted\n");
		return -(128 + (long)prompt_signal);
	}
	if (!got)
		return -1;
	return (long)strlen(buf);
}
