#include "http_server.h"

#include <errno.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "api.h"
#include "caller.h"
#include "events_stream.h"
#include "http_conns.h"

struct http_server {
	struct MHD_Daemon *mhd;
	struct agent *agent;
	int fd;
	char path[108];
	struct http_conns conns;
};

struct request {
	char *body;
	size_t len;
	bool too_big;
	bool denied;
	char who[96];
	struct caller caller;
};

bool peer_allowed(uid_t uid, gid_t gid, const gid_t *groups, size_t ngroups, uid_t self,
		  bool has_group, gid_t group)
{
	if (uid == 0 || uid == self)
		return true;
	if (!has_group)
		return false;
	if (gid == group)
		return true;
	for (size_t i = 0; i < ngroups; i++)
		if (groups[i] == group)
			return true;
	return false;
}

static bool check_peer(struct http_server *s, struct MHD_Connection *c, struct request *req)
{
	const union MHD_ConnectionInfo *info =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (!info || caller_of_socket(info->connect_fd, &req->caller) < 0) {
		snprintf(req->who, sizeof(req->who), "unknown: %s", strerror(errno));
		return false;
	}
	snprintf(req->who, sizeof(req->who), "uid %u gid %u pid %d", (unsigned)req->caller.uid,
		 (unsigned)req->caller.gid, (int)req->caller.pid);
	return peer_allowed(req->caller.uid, req->caller.gid, req->caller.groups,
			    req->caller.ngroups, geteuid(), s->agent->has_socket_gid,
			    s->agent->socket_gid);
}

static void *conn_ctx(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *info =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return info ? info->socket_context : NULL;
}

static void conn_notify(void *cls, struct MHD_Connection *c, void **socket_context,
			enum MHD_ConnectionNotificationCode code)
{
	struct http_server *s = cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *info =
			MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		http_conns_opened(&s->conns, info ? info->connect_fd : -1, socket_context);
	} else {
		http_conns_closed(&s->conns, socket_context);
	}
}

/* A body announced larger than the agent takes is refused before any of it is read. */
static bool announced_too_big(struct MHD_Connection *c)
{
	const char *cl =
		MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (!cl)
		return false;
	char *end;
	errno = 0;
	unsigned long long n = strtoull(cl, &end, 10);
	return errno == ERANGE || n > API_BODY_MAX;
}

static const char *query_arg(void *ctx, const char *name)
{
	return MHD_lookup_connection_value(ctx, MHD_GET_ARGUMENT_KIND, name);
}

static enum MHD_Result send_events(struct http_server *s, struct MHD_Connection *c,
				   const struct api_response *r)
{
	struct MHD_Response *resp = events_stream_response(c, s->agent->events, r->events_from);
	if (!resp)
		return MHD_NO;
	enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result send_response(struct MHD_Connection *c, struct api_response *r)
{
	size_t len = r->body ? (r->body_len ? r->body_len : strlen(r->body)) : 0;
	struct MHD_Response *resp = MHD_create_response_from_buffer(
		len, r->body ? r->body : (void *)"",
		r->body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (!resp) {
		free(r->body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type",
				r->content_type ? r->content_type : "text/plain");
	if (r->allow)
		MHD_add_response_header(resp, "Allow", r->allow);
	enum MHD_Result ret = MHD_queue_response(c, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	(void)version;
	struct http_server *s = cls;
	struct request *req = *con_cls;
	if (!req) {
		req = calloc(1, sizeof(*req));
		if (!req)
			return MHD_NO;
		req->denied = !check_peer(s, c, req);
		req->too_big = announced_too_big(c);
		*con_cls = req;
		http_conns_activity(&s->conns, conn_ctx(c), true);
		if (!req->denied && !req->too_big)
			return MHD_YES;
		/* answered at once: the body is not read, libmicrohttpd closes the connection */
	}
	if (*upload_size) {
		if (!req->too_big && !req->denied) {
			if (req->len + *upload_size > API_BODY_MAX) {
				req->too_big = true;
			} else {
				char *b = realloc(req->body, req->len + *upload_size + 1);
				if (!b)
					return MHD_NO;
				memcpy(b + req->len, upload, *upload_size);
				req->body = b;
				req->len += *upload_size;
				b[req->len] = '\0';
			}
		}
		*upload_size = 0;
		return MHD_YES;
	}
	struct api_response r = { 0 };
	struct api_error err;
	if (req->denied) {
		api_fail(&err, 403, "", "peer (%s) is neither root nor in the agent's group",
			 req->who);
		api_error_response(&r, &err);
	} else if (req->too_big) {
		api_fail(&err, 413, "body", "request body larger than %d bytes", API_BODY_MAX);
		api_error_response(&r, &err);
	} else {
		struct api_request q = { .method = method,
					 .path = url,
					 .body = req->body ? req->body : "",
					 .body_len = req->len,
					 .arg = query_arg,
					 .arg_ctx = c,
					 .last_event_id = MHD_lookup_connection_value(
						 c, MHD_HEADER_KIND, "Last-Event-ID") };
		s->agent->caller = req->caller;
		api_handle_request(s->agent, &q, &r);
		caller_self(&s->agent->caller);
		if (r.events_stream)
			return send_events(s, c, &r);
	}
	return send_response(c, &r);
}

static void request_done(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode code)
{
	struct http_server *s = cls;
	(void)code;
	http_conns_activity(&s->conns, conn_ctx(c), false);
	struct request *req = *con_cls;
	if (req) {
		free(req->body);
		free(req);
		*con_cls = NULL;
	}
}

static int make_socket(struct http_server *s, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(addr.sun_path)) {
		snprintf(err, errlen, "--socket: path longer than %zu bytes",
			 sizeof(addr.sun_path) - 1);
		return -1;
	}
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	snprintf(s->path, sizeof(s->path), "%s", path);
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	/* a socket file left by a killed agent is replaced; a live agent is not, and anything
     * that is not a socket (a file, a symlink to one) is someone else's */
	struct stat st;
	if (lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "--socket %s: refusing to replace it, it is %s, not a socket",
			 path,
			 S_ISLNK(st.st_mode)   ? "a symbolic link"
			 : S_ISDIR(st.st_mode) ? "a directory"
			 : S_ISREG(st.st_mode) ? "a regular file"
					       : "not a socket");
		return -1;
	}
	if (connect(s->fd, (struct sockaddr *)&addr, sizeof(addr)) == 0) {
		snprintf(err, errlen, "another dsvd is already listening on %s", path);
		return -1;
	}
	unlink(path);
	mode_t old = umask(0117);
	int rc = bind(s->fd, (struct sockaddr *)&addr, sizeof(addr));
	umask(old);
	if (rc < 0) {
		snprintf(err, errlen, "bind %s: %s", path, strerror(errno));
		return -1;
	}
	if (chmod(path, 0660) < 0 ||
	    (s->agent->has_socket_gid && chown(path, (uid_t)-1, s->agent->socket_gid) < 0)) {
		snprintf(err, errlen, "setting mode/group of %s: %s", path, strerror(errno));
		return -1;
	}
	if (listen(s->fd, 128) < 0) {
		snprintf(err, errlen, "listen: %s", strerror(errno));
		return -1;
	}
	return 0;
}

struct http_server *http_server_start(struct agent *a, const char *socket_path, char *err,
				      size_t errlen)
{
	struct http_server *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->agent = a;
	s->fd = -1;
	if (make_socket(s, socket_path, err, errlen) < 0) {
		if (s->fd >= 0)
			close(s->fd);
		free(s);
		return NULL;
	}
	/* epoll: select() would cap the connections at 1024 fds; suspend/resume: event streams */
	s->mhd = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME, 0, NULL,
		NULL, handle, s, MHD_OPTION_LISTEN_SOCKET, s->fd, MHD_OPTION_NOTIFY_COMPLETED,
		request_done, s, MHD_OPTION_NOTIFY_CONNECTION, conn_notify, s,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_CONN_MAX, MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned)30, MHD_OPTION_END);
	if (!s->mhd) {
		snprintf(err, errlen, "libmicrohttpd could not serve %s", socket_path);
		close(s->fd);
		unlink(socket_path);
		free(s);
		return NULL;
	}
	return s;
}

void http_server_stop(struct http_server *s)
{
	if (!s)
		return;
	event_log_close(s->agent->events); /* resumes every event stream, which then ends */
	MHD_stop_daemon(s->mhd);
	close(s->fd);
	unlink(s->path);
	free(s);
}
