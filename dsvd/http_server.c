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

struct http_server {
    struct MHD_Daemon *mhd;
    struct agent *agent;
    int fd;
    char path[108];
};

struct request {
    char *body;
    size_t len;
    bool too_big;
    bool denied;
    char who[64];
    struct api_caller caller;
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

/* The peer's supplementary groups, from /proc/PID/status. */
static size_t peer_groups(pid_t pid, gid_t *out, size_t max)
{
    char path[64], line[4096];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "re");
    size_t n = 0;
    if (!f)
        return 0;
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, "Groups:", 7) != 0)
            continue;
        char *p = line + 7, *end;
        for (;;) {
            unsigned long g = strtoul(p, &end, 10);
            if (end == p || n == max)
                break;
            out[n++] = (gid_t)g;
            p = end;
        }
    }
    fclose(f);
    return n;
}

static bool check_peer(struct http_server *s, struct MHD_Connection *c, struct request *req)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    struct ucred cred;
    socklen_t len = sizeof(cred);
    if (!info || getsockopt(info->connect_fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
        return false;
    snprintf(req->who, sizeof(req->who), "uid %u gid %u pid %d", (unsigned)cred.uid,
             (unsigned)cred.gid, (int)cred.pid);
    struct api_caller *who = &req->caller;
    who->ngroups = peer_groups(cred.pid, who->groups, API_CALLER_GROUPS_MAX);
    who->uid = cred.uid;
    who->gid = cred.gid;
    who->known = true;
    return peer_allowed(cred.uid, cred.gid, who->groups, who->ngroups, geteuid(),
                        s->agent->has_socket_gid, s->agent->socket_gid);
}

static enum MHD_Result send_response(struct MHD_Connection *c, struct api_response *r)
{
    size_t len = r->body ? strlen(r->body) : 0;
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, r->body ? r->body : (void *)"", r->body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!resp) {
        free(r->body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", r->content_type ? r->content_type : "text/plain");
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
        *con_cls = req;
        return MHD_YES;
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
    struct api_response r = {0};
    struct api_error err;
    if (req->denied) {
        api_fail(&err, 403, "", "peer (%s) is neither root nor in the agent's group", req->who);
        api_error_response(&r, &err);
    } else if (req->too_big) {
        api_fail(&err, 413, "body", "request body larger than %d bytes", API_BODY_MAX);
        api_error_response(&r, &err);
    } else {
        s->agent->caller = req->caller; /* one request at a time (one polling thread) */
        api_handle(s->agent, method, url, req->body ? req->body : "", req->len, &r);
        s->agent->caller.known = false;
    }
    return send_response(c, &r);
}

static void request_done(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode code)
{
    (void)cls;
    (void)c;
    (void)code;
    struct request *req = *con_cls;
    if (req) {
        free(req->body);
        free(req);
        *con_cls = NULL;
    }
}

static int make_socket(struct http_server *s, const char *path, char *err, size_t errlen)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(addr.sun_path)) {
        snprintf(err, errlen, "--socket: path longer than %zu bytes", sizeof(addr.sun_path) - 1);
        return -1;
    }
    snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
    snprintf(s->path, sizeof(s->path), "%s", path);
    s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s->fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    /* a socket file left by a killed agent is replaced; a live agent is not */
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
    if (listen(s->fd, 64) < 0) {
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
    s->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, handle, s,
                              MHD_OPTION_LISTEN_SOCKET, s->fd, MHD_OPTION_NOTIFY_COMPLETED,
                              request_done, s, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
                              MHD_OPTION_END);
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
    MHD_stop_daemon(s->mhd);
    close(s->fd);
    unlink(s->path);
    free(s);
}
