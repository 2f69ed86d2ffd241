/*
 * The local-filesystem backend: key "a/b/c" is the file <root>/a/b/c, the
 * layout Tempo's local backend uses, so a tracecompactor and a Tempo can
 * share one directory.
 *
 * Every path is walked one component at a time from a descriptor of the
 * root with O_NOFOLLOW, so a symlink planted anywhere under the root is
 * never followed out of it. Keys are already checked by backend.c (no "..",
 * ".", empty segments or leading '/').
 */
#include "src/backend/backend_impl.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "src/util/error.h"
#include "src/util/fnv.h"
#include "src/util/ids.h"
#include "src/util/utf8.h"

/* Writes go to a hidden temp file first; listings skip names starting with '.'. */
#define TMP_PREFIX ".tc-tmp."
#define CLEAR_DEPTH_MAX 8

typedef struct local {
	tc_backend base;
	int root_fd;
	char *root;
} local;

typedef struct local_stream {
	tc_append base;
	int dfd;
	int fd;
	dev_t dev;
	ino_t ino;
	uint64_t written;
	char *key;
	const char *name; /* last segment of key */
} local_stream;

static atomic_ulong tmp_seq;

#define DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

/*
 * Maps a failed openat/fstatat of name under dfd to a code: missing or
 * "a component is a file" is TC_ENOTFOUND, a symlink is refused.
 */
static int os_fail(int dfd, const char *name, const char *key, const char *what)
{
	int saved = errno;
	struct stat st;

	if (saved == ELOOP ||
	    (saved == ENOTDIR && fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	     S_ISLNK(st.st_mode))) {
		tc_error_set("%s: refusing to follow the symlink at \"%s\"", key, name);
		return TC_ERROR;
	}
	if (saved == ENOENT || saved == ENOTDIR) {
		tc_error_set("%s: not found", key);
		return TC_ENOTFOUND;
	}
	errno = saved;
	tc_error_set_os("%s %s", what, key);
	return TC_ERROR;
}

/*
 * One openat2 for a whole path below the root: RESOLVE_BENEATH and
 * RESOLVE_NO_SYMLINKS give the component-by-component walk's guarantees in
 * one system call instead of two per component (a poll opens two files per
 * block). -1 with errno set; ENOSYS where the kernel has no openat2
 * (before 5.6), and then the walk does the work.
 */
static int open_beneath(const local *l, const char *path, size_t len, int flags)
{
	char buf[TC_KEY_MAX + 2];
	struct open_how how = { .flags = (uint64_t)flags,
				.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };

	if (len >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, path, len);
	buf[len] = '\0';
	return (int)syscall(SYS_openat2, l->root_fd, buf, &how, sizeof(how));
}

/*
 * Opens the directory path[0..len) below the root (len 0 = the root),
 * creating missing directories when create is set. *out is a new fd.
 */
static int walk(int *out, local *l, const char *key, const char *path, size_t len, int create)
{
	char comp[NAME_MAX + 1];
	int cur, next, err;
	size_t i = 0;

	*out = -1;
	if (len > 0) {
		/* The fast path; anything but success or a plain miss takes the walk for its message. */
		if ((cur = open_beneath(l, path, len, DIR_FLAGS)) >= 0) {
			*out = cur;
			return TC_OK;
		}
		if (!create && (errno == ENOENT || errno == ENOTDIR)) {
			tc_error_set("%s: not found", key);
			return TC_ENOTFOUND;
		}
	}
	if ((cur = openat(l->root_fd, ".", DIR_FLAGS)) < 0) {
		tc_error_set_os("open backend root %s", tc_utf8_printable(l->root, SIZE_MAX));
		return TC_ERROR;
	}
	while (i < len) {
		size_t j = i;
		while (j < len && path[j] != '/')
			j++;
		if (j == i) { /* a trailing '/' of a prefix */
			i++;
			continue;
		}
		if (j - i > NAME_MAX) {
			tc_error_set("%s: path segment longer than %d bytes", key, NAME_MAX);
			close(cur);
			return TC_EINVALID;
		}
		memcpy(comp, path + i, j - i);
		comp[j - i] = '\0';
		if (strcmp(comp, ".") == 0 || strcmp(comp, "..") == 0) {
			/* backend.c refuses these; never rely on one check alone */
			tc_error_set("%s: '.' or '..' in key", key);
			close(cur);
			return TC_EINVALID;
		}
		next = openat(cur, comp, DIR_FLAGS);
		if (next < 0 && errno == ENOENT && create) {
			if (mkdirat(cur, comp, 0755) < 0 && errno != EEXIST) {
				tc_error_set_os("create directory %.*s for %s", (int)j, path, key);
				close(cur);
				return TC_ERROR;
			}
			next = openat(cur, comp, DIR_FLAGS);
		}
		if (next < 0) {
			err = os_fail(cur, comp, key, "open directory for");
			close(cur);
			return err;
		}
		close(cur);
		cur = next;
		i = j + 1;
	}
	*out = cur;
	return TC_OK;
}

/* Opens the directory holding key; *name points at key's last segment. */
static int open_parent(int *dfd, const char **name, local *l, const char *key, int create)
{
	const char *slash = strrchr(key, '/');
	size_t dlen = slash ? (size_t)(slash - key) : 0;

	*name = slash ? slash + 1 : key;
	if (!**name || strcmp(*name, ".") == 0 || strcmp(*name, "..") == 0) {
		tc_error_set("%s: empty, '.' or '..' object name", key);
		return TC_EINVALID;
	}
	if (strlen(*name) > NAME_MAX) {
		tc_error_set("%s: path segment longer than %d bytes", key, NAME_MAX);
		return TC_EINVALID;
	}
	return walk(dfd, l, key, key, dlen, create);
}

/* Opens key for reading; a directory or special file is not an object. */
static int open_object(int *out, struct stat *st, local *l, const char *key)
{
	const char *name;
	int dfd, fd, err;

	*out = -1;
	/* O_NONBLOCK: a FIFO planted under the root must not hang a reader. */
	fd = open_beneath(l, key, strlen(key), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 && (errno == ENOENT || errno == ENOTDIR)) {
		tc_error_set("%s: not found", key);
		return TC_ENOTFOUND;
	}
	if (fd < 0) {
		if ((err = open_parent(&dfd, &name, l, key, 0)) < 0)
			return err;
		fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0) {
			err = os_fail(dfd, name, key, "open");
			close(dfd);
			return err;
		}
		close(dfd);
	}
	if (fstat(fd, st) < 0) {
		tc_error_set_os("stat %s", key);
		close(fd);
		return TC_ERROR;
	}
	if (!S_ISREG(st->st_mode)) {
		close(fd);
		if (S_ISDIR(st->st_mode)) {
			tc_error_set("%s: not found (a directory, not an object)", key);
			return TC_ENOTFOUND;
		}
		tc_error_set("%s: not a regular file", key);
		return TC_ERROR;
	}
	*out = fd;
	return TC_OK;
}

/* Reads up to len bytes at off; *got is what the file had. */
static int pread_all(int fd, uint8_t *out, size_t len, uint64_t off, size_t *got, const char *key)
{
	size_t n = 0;

	while (n < len) {
		ssize_t r = pread(fd, out + n, len - n, (off_t)(off + n));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			tc_error_set_os("read %s at offset %" PRIu64, key, off + n);
			return TC_ERROR;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*got = n;
	return TC_OK;
}

static int write_all(int fd, const void *data, size_t len, const char *key, uint64_t off)
{
	const uint8_t *p = data;

	while (len > 0) {
		ssize_t r = write(fd, p, len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			tc_error_set_os("write %s at offset %" PRIu64, key, off);
			return TC_ERROR;
		}
		p += r;
		len -= (size_t)r;
		off += (uint64_t)r;
	}
	return TC_OK;
}

static int local_read(tc_buf *out, tc_backend *be, const char *key)
{
	local *l = (local *)be;
	struct stat st;
	size_t got, size;
	int fd, err;

	if ((err = open_object(&fd, &st, l, key)) < 0)
		return err;
	if ((uint64_t)st.st_size > SIZE_MAX)
		err = TC_ELIMIT;
	else
		err = tc_buf_reserve(out, (size_t)st.st_size);
	if (err < 0) {
		if (err == TC_ELIMIT)
			tc_error_set("%s: object of %" PRIu64 " bytes exceeds the read buffer's limit",
				     key, (uint64_t)st.st_size);
		close(fd);
		return err;
	}
	size = (size_t)st.st_size;
	/* A file growing under an append is read as of the stat. */
	if ((err = pread_all(fd, out->ptr + out->len, size, 0, &got, key)) == 0)
		out->len += got;
	close(fd);
	return err;
}

static int local_read_range(uint8_t *out, tc_backend *be, const char *key, uint64_t off, size_t len)
{
	local *l = (local *)be;
	tc_where w = { key, off };
	struct stat st;
	size_t got = 0;
	int fd, err;

	if ((err = open_object(&fd, &st, l, key)) < 0)
		return err;
	if (off > (uint64_t)INT64_MAX || len > (uint64_t)INT64_MAX - off) {
		close(fd);
		tc_error_set_at(&w, "range of %zu bytes is beyond any object", len);
		return TC_ECORRUPT;
	}
	err = pread_all(fd, out, len, off, &got, key);
	close(fd);
	if (err < 0)
		return err;
	/* A range starting past the end is short even when it is empty, as on S3. */
	if (got < len || off > (uint64_t)st.st_size) {
		tc_error_set_at(&w, "short object: wanted %zu bytes, got %zu (object is %" PRIu64
			       " bytes)", len, got, (uint64_t)st.st_size);
		return TC_ECORRUPT;
	}
	return TC_OK;
}

/* A fresh hidden temp file in dfd; *out is its fd, name its name. */
static int create_tmp(int *out, char name[64], int dfd, const char *key)
{
	for (int tries = 0; tries < 100; tries++) {
		snprintf(name, 64, TMP_PREFIX "%ld.%lu", (long)getpid(),
			 (unsigned long)atomic_fetch_add(&tmp_seq, 1));
		*out = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (*out >= 0)
			return TC_OK;
		if (errno != EEXIST)
			break;
	}
	tc_error_set_os("create a temporary file for %s", key);
	name[0] = '\0'; /* nothing to clean up */
	return TC_ERROR;
}

/*
 * Removes temp files a killed writer left in dfd: ".tc-tmp.<pid>.<n>" whose
 * process no longer exists. A bucket directory is only ever written from
 * this host, so a dead pid means nobody will rename that file.
 */
static void sweep_dead_tmp(int dfd)
{
	int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		char *end;
		long pid;
		if (strncmp(e->d_name, TMP_PREFIX, sizeof(TMP_PREFIX) - 1) != 0)
			continue;
		pid = strtol(e->d_name + sizeof(TMP_PREFIX) - 1, &end, 10);
		if (pid <= 0 || *end != '.' || pid == (long)getpid())
			continue;
		if (kill((pid_t)pid, 0) < 0 && errno == ESRCH)
			unlinkat(dfd, e->d_name, 0);
	}
	closedir(d);
}

static int local_write(tc_backend *be, const char *key, const void *data, size_t len)
{
	local *l = (local *)be;
	char tmp[64] = "";
	const char *name;
	int dfd, fd = -1, err;

	if ((err = open_parent(&dfd, &name, l, key, 1)) < 0)
		return err;
	if ((err = create_tmp(&fd, tmp, dfd, key)) < 0)
		goto cleanup;
	if ((err = write_all(fd, data, len, key, 0)) < 0)
		goto cleanup;
	if (fsync(fd) < 0) {
		err = TC_ERROR;
		tc_error_set_os("fsync %s", key);
		goto cleanup;
	}
	if (close(fd) < 0) {
		fd = -1;
		err = TC_ERROR;
		tc_error_set_os("close %s", key);
		goto cleanup;
	}
	fd = -1;
	if (renameat(dfd, tmp, dfd, name) < 0) {
		err = TC_ERROR;
		tc_error_set_os("rename temporary file to %s", key);
		goto cleanup;
	}
	tmp[0] = '\0';
	if (fsync(dfd) < 0) {
		err = TC_ERROR;
		tc_error_set_os("fsync the directory of %s", key);
	}
	sweep_dead_tmp(dfd);
cleanup:
	if (fd >= 0)
		close(fd);
	if (err < 0 && tmp[0])
		unlinkat(dfd, tmp, 0);
	close(dfd);
	return err;
}

/*
 * Like Tempo's local backend the data file is created (truncated) under its
 * final name and grows in place; abort removes it.
 */
static int local_append_open(tc_append **out, tc_backend *be, const char *key)
{
	local *l = (local *)be;
	local_stream *a;
	struct stat st;
	const char *name;
	int dfd, fd, err;

	if ((err = open_parent(&dfd, &name, l, key, 1)) < 0)
		return err;
	fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
		    0644);
	if (fd < 0) {
		if (errno == ENOENT) { /* the directory vanished under us */
			tc_error_set_os("create %s", key);
			err = TC_ERROR;
		} else {
			err = os_fail(dfd, name, key, "create");
		}
		close(dfd);
		return err;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		tc_error_set("%s: cannot append: not a regular file", key);
		close(fd);
		close(dfd);
		return TC_ERROR;
	}
	if (!(a = calloc(1, sizeof(*a))) || !(a->key = strdup(key))) {
		free(a);
		close(fd);
		close(dfd);
		tc_error_set("out of memory opening %s", key);
		return TC_ERROR;
	}
	a->base.be = be;
	a->dfd = dfd;
	a->fd = fd;
	a->dev = st.st_dev;
	a->ino = st.st_ino;
	a->name = a->key + (name - key);
	*out = &a->base;
	return TC_OK;
}

static int local_append(tc_append *ta, const void *data, size_t len)
{
	local_stream *a = (local_stream *)ta;
	int err;

	if ((err = write_all(a->fd, data, len, a->key, a->written)) < 0)
		return err;
	a->written += len;
	return TC_OK;
}

static void append_free(local_stream *a)
{
	if (a->fd >= 0)
		close(a->fd);
	close(a->dfd);
	free(a->key);
	free(a);
}

static int local_append_commit(tc_append *ta)
{
	local_stream *a = (local_stream *)ta;
	int err = TC_OK;

	if (fsync(a->fd) < 0) {
		tc_error_set_os("fsync %s", a->key);
		err = TC_ERROR;
	}
	if (close(a->fd) < 0 && err == TC_OK) {
		tc_error_set_os("close %s", a->key);
		err = TC_ERROR;
	}
	a->fd = -1;
	/* The new directory entry must be durable too. */
	if (err == TC_OK && fsync(a->dfd) < 0) {
		tc_error_set_os("fsync the directory of %s", a->key);
		err = TC_ERROR;
	}
	append_free(a);
	return err;
}

static void local_append_abort(tc_append *ta)
{
	local_stream *a = (local_stream *)ta;
	struct stat st;

	/* Remove the file only if it is still ours (not replaced meanwhile). */
	if (fstatat(a->dfd, a->name, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_dev == a->dev &&
	    st.st_ino == a->ino)
		unlinkat(a->dfd, a->name, 0);
	append_free(a);
}

/* Hands the names in tmp to out, sorted. */
static int give_sorted(tc_strlist *out, tc_strlist *tmp)
{
	int err = TC_OK;

	tc_strlist_sort(tmp);
	for (size_t i = 0; i < tmp->n && err == TC_OK; i++)
		err = tc_strlist_add(out, tmp->items[i]);
	tc_strlist_dispose(tmp);
	return err;
}

/* Entries of the directory at prefix whose type is want (S_IFDIR or S_IFREG). */
static int list_type(tc_strlist *out, local *l, const char *prefix, mode_t want)
{
	tc_strlist names = TC_STRLIST_INIT;
	struct dirent *de;
	DIR *d;
	int dfd, err;

	err = walk(&dfd, l, prefix, prefix, strlen(prefix), 0);
	if (err == TC_ENOTFOUND) /* like an object store: no objects, no error */
		return TC_OK;
	if (err < 0)
		return err;
	if (!(d = fdopendir(dfd))) {
		tc_error_set_os("list %s", prefix);
		close(dfd);
		return TC_ERROR;
	}
	for (;;) {
		mode_t type;
		errno = 0;
		if (!(de = readdir(d))) {
			if (errno) {
				tc_error_set_os("list %s", prefix);
				err = TC_ERROR;
			}
			break;
		}
		if (de->d_name[0] == '.')
			continue;
		if (de->d_type == DT_DIR) {
			type = S_IFDIR;
		} else if (de->d_type == DT_REG) {
			type = S_IFREG;
		} else if (de->d_type == DT_UNKNOWN) {
			struct stat st;
			if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
				continue; /* removed meanwhile */
			type = st.st_mode & S_IFMT;
		} else {
			continue; /* symlinks and special files are never objects */
		}
		if (type == want && (err = tc_strlist_add(&names, de->d_name)) < 0)
			break;
	}
	closedir(d);
	if (err < 0) {
		tc_strlist_dispose(&names);
		return err;
	}
	return give_sorted(out, &names);
}

static int local_list(tc_strlist *out, tc_backend *be, const char *prefix)
{
	return list_type(out, (local *)be, prefix, S_IFDIR);
}

static int local_list_objects(tc_strlist *out, tc_backend *be, const char *prefix)
{
	return list_type(out, (local *)be, prefix, S_IFREG);
}

/*
 * A block directory changed less than this long ago may change again within
 * the same timestamp tick (file systems stamp with a coarse clock), so its
 * version is not trusted yet.
 */
#define SETTLE_NS 2000000000LL

static int64_t ts_ns(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000000000LL + t->tv_nsec;
}

/*
 * A block's version is its directory's identity and change times: creating,
 * renaming or removing an entry (meta.json written through a temporary file
 * or in place, marked compacted, a marker set or cleared) updates the
 * directory's mtime and ctime. One fstatat per block, no read of the block
 * (docs/STORAGE.md#block-listing).
 */
static uint64_t dir_version(const struct stat *st, int64_t now_ns)
{
	int64_t m = ts_ns(&st->st_mtim), c = ts_ns(&st->st_ctim);
	uint64_t h = TC_FNV64_INIT;

	if (now_ns - (m > c ? m : c) < SETTLE_NS)
		return 0;
	h = tc_fnv1_64_update(h, (const uint8_t *)&st->st_ino, sizeof(st->st_ino));
	h = tc_fnv1_64_update(h, (const uint8_t *)&m, sizeof(m));
	h = tc_fnv1_64_update(h, (const uint8_t *)&c, sizeof(c));
	return h ? h : 1;
}

static int local_list_blocks(tc_block_list *out, tc_backend *be, const char *tenant)
{
	local *l = (local *)be;
	struct timespec now;
	struct dirent *de;
	DIR *d;
	int dfd, err;

	err = walk(&dfd, l, tenant, tenant, strlen(tenant), 0);
	if (err == TC_ENOTFOUND)
		return TC_OK;
	if (err < 0)
		return err;
	if (!(d = fdopendir(dfd))) {
		tc_error_set_os("list %s/", tenant);
		close(dfd);
		return TC_ERROR;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	for (;;) {
		struct stat st;
		errno = 0;
		if (!(de = readdir(d))) {
			if (errno) {
				tc_error_set_os("list %s/", tenant);
				err = TC_ERROR;
			}
			break;
		}
		if (de->d_name[0] == '.' || (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
			continue; /* removed meanwhile, or not a directory */
		if ((err = tc_block_list_add(out, de->d_name, strlen(de->d_name), dir_version(&st, ts_ns(&now)),
					     0)) < 0)
			break;
	}
	closedir(d);
	return err;
}

static int local_stat(tc_stat *out, tc_backend *be, const char *key)
{
	local *l = (local *)be;
	struct stat st;
	const char *name;
	int dfd, err;

	if ((err = open_parent(&dfd, &name, l, key, 0)) < 0)
		return err;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		err = os_fail(dfd, name, key, "stat");
		close(dfd);
		return err;
	}
	close(dfd);
	if (S_ISDIR(st.st_mode)) {
		tc_error_set("%s: not found (a directory, not an object)", key);
		return TC_ENOTFOUND;
	}
	if (!S_ISREG(st.st_mode)) {
		tc_error_set("%s: not a regular file", key);
		return TC_ERROR;
	}
	out->size = (uint64_t)st.st_size;
	out->mtime = tc_time_from_unix((int64_t)st.st_mtim.tv_sec, (int32_t)st.st_mtim.tv_nsec);
	return TC_OK;
}

static int local_del(tc_backend *be, const char *key)
{
	local *l = (local *)be;
	const char *name;
	int dfd, err;

	err = open_parent(&dfd, &name, l, key, 0);
	if (err == TC_ENOTFOUND)
		return TC_OK;
	if (err < 0)
		return err;
	if (unlinkat(dfd, name, 0) < 0 && errno != ENOENT && errno != ENOTDIR) {
		tc_error_set_os("delete %s", key);
		err = TC_ERROR;
	}
	close(dfd);
	return err;
}

static int open_block(int *out, local *l, const char *tenant, const char *block)
{
	char dir[TC_KEY_MAX + 2];
	int n = snprintf(dir, sizeof(dir), "%s/%s/", tenant, block);

	if (n < 0 || (size_t)n >= sizeof(dir)) {
		tc_error_set("block %s/%s: name too long", tenant, block);
		return TC_EINVALID;
	}
	return walk(out, l, dir, dir, (size_t)n, 0);
}

static int local_mark_compacted(tc_backend *be, const char *tenant, const char *block)
{
	local *l = (local *)be;
	char key[TC_KEY_MAX + 1];
	struct stat st;
	int dfd, err;

	if ((err = tc_key_block(key, sizeof(key), tenant, block, "meta.json")) < 0)
		return err;
	if ((err = open_block(&dfd, l, tenant, block)) < 0) {
		if (err == TC_ENOTFOUND)
			tc_error_set("%s: not found", key);
		return err;
	}
	if (fstatat(dfd, "meta.json", &st, AT_SYMLINK_NOFOLLOW) < 0) {
		err = os_fail(dfd, "meta.json", key, "stat");
		goto cleanup;
	}
	if (!S_ISREG(st.st_mode)) {
		tc_error_set("%s: not a regular file", key);
		err = TC_ERROR;
		goto cleanup;
	}
	if (renameat(dfd, "meta.json", dfd, "meta.compacted.json") < 0) {
		if (errno == ENOENT) { /* marked by someone else meanwhile */
			tc_error_set("%s: not found", key);
			err = TC_ENOTFOUND;
		} else {
			tc_error_set_os("mark %s/%s compacted", tenant, block);
			err = TC_ERROR;
		}
		goto cleanup;
	}
	/*
	 * Tempo takes compactedTime from the compacted meta's mtime; rename keeps
	 * the meta's write time, so stamp the time of marking.
	 */
	if (utimensat(dfd, "meta.compacted.json", NULL, AT_SYMLINK_NOFOLLOW) < 0) {
		tc_error_set_os("set the compacted time of %s/%s", tenant, block);
		err = TC_ERROR;
		goto cleanup;
	}
	if (fsync(dfd) < 0) {
		tc_error_set_os("fsync block directory %s/%s", tenant, block);
		err = TC_ERROR;
	}
cleanup:
	close(dfd);
	return err;
}

/* Removes everything inside dfd without following symlinks. */
static int remove_contents(int dfd, const char *what, int depth)
{
	tc_strlist names = TC_STRLIST_INIT;
	struct dirent *de;
	DIR *d;
	int fd, err = TC_OK;

	if (depth > CLEAR_DEPTH_MAX) {
		tc_error_set("clear %s: directories nested too deep", what);
		return TC_ERROR;
	}
	if ((fd = dup(dfd)) < 0 || !(d = fdopendir(fd))) {
		tc_error_set_os("list %s", what);
		if (fd >= 0)
			close(fd);
		return TC_ERROR;
	}
	/* Collect first: removing entries while reading a directory is unspecified. */
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if ((err = tc_strlist_add(&names, de->d_name)) < 0)
			break;
	}
	closedir(d);
	for (size_t i = 0; i < names.n && err == TC_OK; i++) {
		const char *name = names.items[i];
		struct stat st;
		int sub;

		if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (!S_ISDIR(st.st_mode)) {
			if (unlinkat(dfd, name, 0) < 0 && errno != ENOENT) {
				tc_error_set_os("clear %s: delete %s", what, name);
				err = TC_ERROR;
			}
			continue;
		}
		if ((sub = openat(dfd, name, DIR_FLAGS)) < 0) {
			tc_error_set_os("clear %s: open %s", what, name);
			err = TC_ERROR;
			break;
		}
		err = remove_contents(sub, what, depth + 1);
		close(sub);
		if (err == TC_OK && unlinkat(dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT) {
			tc_error_set_os("clear %s: remove directory %s", what, name);
			err = TC_ERROR;
		}
	}
	tc_strlist_dispose(&names);
	return err;
}

static int local_clear_block(tc_backend *be, const char *tenant, const char *block)
{
	local *l = (local *)be;
	char what[TC_KEY_MAX + 2];
	int tfd, bfd, err;

	snprintf(what, sizeof(what), "%s/%s", tenant, block);
	err = walk(&tfd, l, what, tenant, strlen(tenant), 0);
	if (err == TC_ENOTFOUND)
		return TC_OK;
	if (err < 0)
		return err;
	if ((bfd = openat(tfd, block, DIR_FLAGS)) < 0) {
		err = os_fail(tfd, block, what, "open block");
		close(tfd);
		return err == TC_ENOTFOUND ? TC_OK : err;
	}
	err = remove_contents(bfd, what, 0);
	close(bfd);
	if (err == TC_OK && unlinkat(tfd, block, AT_REMOVEDIR) < 0 && errno != ENOENT) {
		tc_error_set_os("clear %s: remove block directory", what);
		err = TC_ERROR;
	}
	if (err == TC_OK && fsync(tfd) < 0) {
		tc_error_set_os("fsync tenant directory %s", tenant);
		err = TC_ERROR;
	}
	close(tfd);
	return err;
}

static void local_free(tc_backend *be)
{
	local *l = (local *)be;
	close(l->root_fd);
	free(l->root);
	free(l);
}

static const tc_backend_ops local_ops = {
	.name = "local",
	.read = local_read,
	.read_range = local_read_range,
	.write = local_write,
	.append_open = local_append_open,
	.append = local_append,
	.append_commit = local_append_commit,
	.append_abort = local_append_abort,
	.list = local_list,
	.list_objects = local_list_objects,
	.stat = local_stat,
	.list_blocks = local_list_blocks,
	.del = local_del,
	.mark_compacted = local_mark_compacted,
	.clear_block = local_clear_block,
	.free = local_free,
};

/* mkdir -p; the configured root itself may lie behind symlinks. */
static int mkdir_all(const char *root)
{
	char *p = strdup(root);
	int err = TC_OK;

	if (!p) {
		tc_error_set("out of memory");
		return TC_ERROR;
	}
	for (char *s = p + 1;; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;
			*s = '\0';
			if (mkdir(p, 0755) < 0 && errno != EEXIST) {
				tc_error_set_os("create backend root %s", tc_utf8_printable(p, SIZE_MAX));
				err = TC_ERROR;
				break;
			}
			*s = c;
			if (c == '\0')
				break;
		}
	}
	free(p);
	return err;
}

/* An existing root directory; the root itself may lie behind symlinks. */
static int open_root(int *out, const char *root)
{
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	*out = -1;
	if (fd >= 0) {
		*out = fd;
		return TC_OK;
	}
	if (errno == ENOENT) {
		tc_error_set("local backend: path \"%s\" does not exist",
			     tc_utf8_printable(root, SIZE_MAX));
		return TC_ENOTFOUND;
	}
	if (errno == ENOTDIR) {
		tc_error_set("local backend: path \"%s\" is not a directory",
			     tc_utf8_printable(root, SIZE_MAX));
		return TC_ERROR;
	}
	tc_error_set_os("local backend: open path \"%s\"", tc_utf8_printable(root, SIZE_MAX));
	return TC_ERROR;
}

static int local_open(tc_backend **out, const char *root, int create)
{
	local *l;
	int fd, err;

	*out = NULL;
	if (!root || !*root) {
		tc_error_set("local backend: empty root path");
		return TC_EINVALID;
	}
	if (create && (err = mkdir_all(root)) < 0)
		return err;
	if ((err = open_root(&fd, root)) < 0)
		return err;
	if (!(l = calloc(1, sizeof(*l))) || !(l->root = strdup(root))) {
		free(l);
		close(fd);
		tc_error_set("out of memory");
		return TC_ERROR;
	}
	l->base.ops = &local_ops;
	l->root_fd = fd;
	*out = &l->base;
	return TC_OK;
}

int tc_backend_local_new(tc_backend **out, const char *root)
{
	return local_open(out, root, 0);
}

int tc_backend_local_create(tc_backend **out, const char *root)
{
	return local_open(out, root, 1);
}
