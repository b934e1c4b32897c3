#define _GNU_SOURCE
/*
 * Listening sockets for socket units (src/init/node/sockets.ts).
 *
 * Node can only listen through libuv, which accepts every connection as soon
 * as it arrives. Socket activation needs the opposite: a listening socket the
 * init holds without accepting, whose readiness starts a service, and which
 * is handed to that service as a plain fd. So: socket()/bind()/listen()
 * returning the fd, and a uv_poll_t on Node's own loop that reports "readable"
 * (a connection or datagram is waiting) once per arming, without touching it.
 * accept() is here for Accept=yes (one connection per service instance).
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <uv.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define CHECK(call)                                  \
  do {                                               \
    if ((call) != napi_ok) {                         \
      napi_throw_error(env, NULL, #call " failed");  \
      return NULL;                                   \
    }                                                \
  } while (0)

/* Throws an Error with .code (EADDRINUSE…) and .errno, naming what failed. */
static napi_value throw_errno(napi_env env, int err, const char *what) {
  char msg[512];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_value code, message, error, num;
  const char *name = uv_err_name(-err);
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message);
  napi_create_error(env, code, message, &error);
  napi_create_int32(env, -err, &num);
  napi_set_named_property(env, error, "errno", num);
  napi_set_named_property(env, error, "code", code);
  napi_throw(env, error);
  return NULL;
}

static int get_string(napi_env env, napi_value obj, const char *key, char *buf, size_t len) {
  napi_value v;
  bool has = false;
  if (napi_has_named_property(env, obj, key, &has) != napi_ok || !has) return 0;
  if (napi_get_named_property(env, obj, key, &v) != napi_ok) return 0;
  size_t got = 0;
  if (napi_get_value_string_utf8(env, v, buf, len, &got) != napi_ok) return 0;
  return got + 1 < len ? 1 : -1; /* -1: too long */
}

static int get_int(napi_env env, napi_value obj, const char *key, int fallback) {
  napi_value v;
  bool has = false;
  int32_t n = fallback;
  if (napi_has_named_property(env, obj, key, &has) != napi_ok || !has) return fallback;
  if (napi_get_named_property(env, obj, key, &v) != napi_ok) return fallback;
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (t != napi_number) return fallback;
  napi_get_value_int32(env, v, &n);
  return n;
}

/*
 * listen({kind: "stream"|"datagram", family: "inet"|"inet6"|"unix"|"abstract",
 *         host, port, path, backlog, v6only: -1|0|1}) -> fd
 */
static napi_value js_listen(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) {
    napi_throw_type_error(env, NULL, "listen(options) needs an options object");
    return NULL;
  }
  char kind[16] = "", family[16] = "", host[64] = "", path[256] = "";
  get_string(env, argv[0], "kind", kind, sizeof kind);
  get_string(env, argv[0], "family", family, sizeof family);
  get_string(env, argv[0], "host", host, sizeof host);
  int path_ok = get_string(env, argv[0], "path", path, sizeof path);
  int port = get_int(env, argv[0], "port", 0);
  int backlog = get_int(env, argv[0], "backlog", SOMAXCONN);
  int v6only = get_int(env, argv[0], "v6only", -1);
  int type = strcmp(kind, "datagram") == 0 ? SOCK_DGRAM : SOCK_STREAM;

  struct sockaddr_storage ss;
  socklen_t sslen = 0;
  memset(&ss, 0, sizeof ss);
  int domain;
  if (strcmp(family, "inet") == 0) {
    struct sockaddr_in *a = (struct sockaddr_in *)&ss;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &a->sin_addr) != 1) return throw_errno(env, EINVAL, "listen: bad IPv4 address");
    domain = AF_INET;
    sslen = sizeof *a;
  } else if (strcmp(family, "inet6") == 0) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons((uint16_t)port);
    if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1) return throw_errno(env, EINVAL, "listen: bad IPv6 address");
    domain = AF_INET6;
    sslen = sizeof *a;
  } else if (strcmp(family, "unix") == 0 || strcmp(family, "abstract") == 0) {
    struct sockaddr_un *a = (struct sockaddr_un *)&ss;
    a->sun_family = AF_UNIX;
    size_t n = strlen(path);
    int abstract = family[0] == 'a';
    if (path_ok < 0 || n + (abstract ? 1 : 0) >= sizeof a->sun_path) return throw_errno(env, ENAMETOOLONG, "listen: unix socket path longer than 107 bytes");
    if (abstract) {
      memcpy(a->sun_path + 1, path, n); /* sun_path[0] = 0: the abstract namespace */
      sslen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
    } else {
      memcpy(a->sun_path, path, n);
      sslen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
    }
    domain = AF_UNIX;
  } else {
    napi_throw_type_error(env, NULL, "listen: family must be inet, inet6, unix or abstract");
    return NULL;
  }

  int fd = socket(domain, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return throw_errno(env, errno, "socket");
  int one = 1;
  if (domain != AF_UNIX) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (domain == AF_INET6 && v6only >= 0) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only);
  if (bind(fd, (struct sockaddr *)&ss, sslen) < 0) {
    int e = errno;
    close(fd);
    return throw_errno(env, e, "bind");
  }
  if (type == SOCK_STREAM && listen(fd, backlog) < 0) {
    int e = errno;
    close(fd);
    return throw_errno(env, e, "listen");
  }
  napi_value out;
  CHECK(napi_create_int32(env, fd, &out));
  return out;
}

/* A readability watch on one fd: fires its callback once per arming. */
typedef struct {
  uv_poll_t poll;
  napi_env env;
  napi_ref callback;
  napi_async_context async;
  int armed;
  int closed;     /* unwatch()ed or finalized: the poll handle is being closed */
  int released;   /* libuv is done with the handle */
  int finalized;  /* the JS external is gone */
} watch_t;

/* The struct is shared by libuv (the handle) and JS (the external): the last one to let go frees it. */
static void on_closed(uv_handle_t *h) {
  watch_t *w = (watch_t *)h->data;
  w->released = 1;
  if (w->finalized) free(w);
}

static void close_watch(napi_env env, watch_t *w) {
  if (w->closed) return;
  w->closed = 1;
  napi_delete_reference(env, w->callback);
  napi_async_destroy(env, w->async);
  uv_poll_stop(&w->poll);
  uv_close((uv_handle_t *)&w->poll, on_closed);
}

static void on_poll(uv_poll_t *p, int status, int events) {
  watch_t *w = (watch_t *)p->data;
  (void)events;
  uv_poll_stop(&w->poll);
  w->armed = 0;
  napi_env env = w->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value cb, recv, arg, result;
  if (napi_get_reference_value(env, w->callback, &cb) == napi_ok && cb != NULL) {
    napi_get_global(env, &recv); /* MakeCallback needs an object receiver */
    napi_create_int32(env, status, &arg);
    napi_make_callback(env, w->async, recv, cb, 1, &arg, &result);
  }
  napi_close_handle_scope(env, scope);
}

static void watch_finalize(napi_env env, void *data, void *hint) {
  (void)hint;
  watch_t *w = (watch_t *)data;
  w->finalized = 1;
  if (!w->closed) close_watch(env, w); /* collected without unwatch() */
  else if (w->released) free(w);
}

/* watch(fd, callback) -> handle; the callback gets 0 or a libuv error status. */
static napi_value js_watch(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd = -1;
  if (argc < 2 || napi_get_value_int32(env, argv[0], &fd) != napi_ok) {
    napi_throw_type_error(env, NULL, "watch(fd, callback)");
    return NULL;
  }
  uv_loop_t *loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  watch_t *w = calloc(1, sizeof *w);
  if (!w) return throw_errno(env, ENOMEM, "watch");
  int r = uv_poll_init_socket(loop, &w->poll, fd);
  if (r < 0) {
    free(w);
    return throw_errno(env, -r, "uv_poll_init");
  }
  w->poll.data = w;
  w->env = env;
  napi_value name;
  napi_create_string_utf8(env, "coracle:socket-watch", NAPI_AUTO_LENGTH, &name);
  napi_value resource;
  napi_create_object(env, &resource);
  napi_async_init(env, resource, name, &w->async);
  napi_create_reference(env, argv[1], 1, &w->callback);
  /* Not armed yet: an unarmed watch must not keep the process alive. */
  napi_value handle;
  CHECK(napi_create_external(env, w, watch_finalize, NULL, &handle));
  return handle;
}

static watch_t *watch_of(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) return NULL;
  void *data = NULL;
  if (napi_get_value_external(env, argv[0], &data) != napi_ok) return NULL;
  return (watch_t *)data;
}

/* arm(handle): report the next readability once. */
static napi_value js_arm(napi_env env, napi_callback_info info) {
  watch_t *w = watch_of(env, info);
  if (!w || w->closed) {
    napi_throw_error(env, NULL, "arm: watch is closed");
    return NULL;
  }
  if (!w->armed) {
    int r = uv_poll_start(&w->poll, UV_READABLE, on_poll);
    if (r < 0) return throw_errno(env, -r, "uv_poll_start");
    w->armed = 1;
  }
  return NULL;
}

/* disarm(handle): stop watching for now. */
static napi_value js_disarm(napi_env env, napi_callback_info info) {
  watch_t *w = watch_of(env, info);
  if (w && !w->closed && w->armed) {
    uv_poll_stop(&w->poll);
    w->armed = 0;
  }
  return NULL;
}

/* unwatch(handle): release the watch (before the fd is closed). */
static napi_value js_unwatch(napi_env env, napi_callback_info info) {
  watch_t *w = watch_of(env, info);
  if (w) close_watch(env, w);
  return NULL;
}

/* "127.0.0.1:80", "[::1]:80" for inet addresses; NULL otherwise. */
static napi_value address_string(napi_env env, struct sockaddr_storage *ss) {
  char host[INET6_ADDRSTRLEN], buf[INET6_ADDRSTRLEN + 16];
  napi_value out = NULL;
  if (ss->ss_family == AF_INET) {
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
    snprintf(buf, sizeof buf, "%s:%u", host, ntohs(a->sin_port));
  } else if (ss->ss_family == AF_INET6) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
    inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
    snprintf(buf, sizeof buf, "[%s]:%u", host, ntohs(a->sin6_port));
  } else {
    return NULL;
  }
  napi_create_string_utf8(env, buf, NAPI_AUTO_LENGTH, &out);
  return out;
}

/*
 * accept(fd) -> {fd, local, remote} or null when no connection waits. For
 * inet the addresses are "host:port"; for unix sockets local is the peer's
 * pid and remote its uid (what systemd puts in an Accept=yes instance name).
 */
static napi_value js_accept(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd = -1;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok) {
    napi_throw_type_error(env, NULL, "accept(fd)");
    return NULL;
  }
  int c;
  do c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
  while (c < 0 && errno == EINTR);
  napi_value out;
  if (c < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
    napi_get_null(env, &out);
    return out;
  }
  if (c < 0) return throw_errno(env, errno, "accept");
  CHECK(napi_create_object(env, &out));
  napi_value v;
  napi_create_int32(env, c, &v);
  napi_set_named_property(env, out, "fd", v);
  struct sockaddr_storage local, remote;
  socklen_t ll = sizeof local, rl = sizeof remote;
  memset(&local, 0, sizeof local);
  memset(&remote, 0, sizeof remote);
  getsockname(c, (struct sockaddr *)&local, &ll);
  getpeername(c, (struct sockaddr *)&remote, &rl);
  napi_value ls = address_string(env, &local), rs = address_string(env, &remote);
  if (ls == NULL || rs == NULL) {
    struct ucred cred;
    socklen_t cl = sizeof cred;
    char buf[32];
    memset(&cred, 0, sizeof cred);
    getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &cl);
    snprintf(buf, sizeof buf, "%ld", (long)cred.pid);
    napi_create_string_utf8(env, buf, NAPI_AUTO_LENGTH, &ls);
    snprintf(buf, sizeof buf, "%ld", (long)cred.uid);
    napi_create_string_utf8(env, buf, NAPI_AUTO_LENGTH, &rs);
  }
  napi_set_named_property(env, out, "local", ls);
  napi_set_named_property(env, out, "remote", rs);
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"listen", NULL, js_listen, NULL, NULL, NULL, napi_default, NULL},
    {"watch", NULL, js_watch, NULL, NULL, NULL, napi_default, NULL},
    {"arm", NULL, js_arm, NULL, NULL, NULL, napi_default, NULL},
    {"disarm", NULL, js_disarm, NULL, NULL, NULL, napi_default, NULL},
    {"unwatch", NULL, js_unwatch, NULL, NULL, NULL, napi_default, NULL},
    {"accept", NULL, js_accept, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
