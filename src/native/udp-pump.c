/*
 * Tandem UDP pump: batched UDP packet I/O for a media worker (Linux).
 *
 * One pump owns the UDP sockets of one JS environment (a media worker thread or
 * process): an epoll set over the sockets, recvmmsg(2) draining many datagrams
 * per wakeup into a preallocated receive ArrayBuffer, and ONE JS callback per
 * batch; sends are written by JS into a transmit ArrayBuffer and handed over in
 * one call per batch (sendmmsg(2) for runs on the same socket, sendto(2)
 * otherwise).
 *
 * Wakeups: a uv_poll_t on the epoll fd, in the loop of the environment that
 * created the pump (napi_get_uv_event_loop). No extra thread: the callback runs
 * on the owning JS thread, so it is safe in worker_threads and child processes
 * alike. The handle is closed by close() or, at environment teardown, by an
 * async cleanup hook (napi_add_async_cleanup_hook) that waits for uv_close.
 *
 * Only Node-API (node_api.h, ABI-stable) plus the libuv poll API of the loop
 * Node-API hands out (uv.h, libuv 1.x ABI); handles are allocated with
 * uv_handle_size() so the struct size of the running libuv is used.
 *
 * IPv4 only (the JS side falls back to node:dgram for IPv6 sockets).
 *
 * JS API (all on the object returned by createPump):
 *   rxBuffer  ArrayBuffer  slots × slotSize bytes (datagram i at meta offset)
 *   rxMeta    ArrayBuffer  Int32 × META_STRIDE per packet: socket id, IPv4 source
 *                          (host order, as int32), source port, offset, length
 *   txBuffer  ArrayBuffer  txBytes bytes filled by JS
 *   txMeta    ArrayBuffer  Int32 × META_STRIDE per packet: socket id, IPv4
 *                          destination, destination port, offset, length
 *   open(addrU32, port, rcvbuf, sndbuf) → socket id (throws Error with code)
 *   localPort(id) → bound port
 *   closeSocket(id)               idempotent
 *   send(count) → datagrams handed to the kernel
 *   stats() → counters object
 *   close()                       idempotent; closes every socket
 * The callback onBatch(count) is called with `this` = globalThis.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <node_api.h>
#include <uv.h>

#define META_STRIDE 5
#define MAX_EVENTS 256
#define MAX_SOCKETS 65536
#define MAX_ROUNDS 4

typedef struct pump {
  napi_env env;
  int epfd;
  uv_poll_t *poll;
  int poll_active;
  int handle_closed;   /* uv_close callback ran (or no handle was created) */
  int wrapper_gone;    /* JS object finalized */
  int closed;
  int in_dispatch;
  napi_ref cb_ref;
  napi_ref rxbuf_ref, rxmeta_ref, txbuf_ref, txmeta_ref;
  napi_async_context async_ctx;
  napi_async_cleanup_hook_handle cleanup;

  int *fds;            /* socket id → fd, -1 when free */
  uint16_t *ports;
  uint32_t *free_ids;  /* FIFO of free ids (a closed id is reused last) */
  uint32_t free_head, free_count, cap;
  uint32_t open_count;

  uint8_t *rx;
  int32_t *rxmeta;
  uint32_t slots, slot_size;
  struct mmsghdr *rmsgs;
  struct iovec *riov;
  struct sockaddr_in *raddr;

  uint8_t *tx;
  int32_t *txmeta;
  uint32_t tx_bytes, tx_slots;
  struct mmsghdr *smsgs;
  struct iovec *siov;
  struct sockaddr_in *saddr;

  struct epoll_event events[MAX_EVENTS];

  double rx_packets, rx_batches, rx_wakeups, rx_oversized, rx_bad_source, rx_errors;
  double tx_packets, tx_calls, tx_errors, tx_invalid, callback_errors;
} pump_t;

#define CHECK(call)                                                     \
  do {                                                                  \
    if ((call) != napi_ok) return NULL;                                 \
  } while (0)

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char msg[160];
  const char *code;
  switch (err) {
    case EADDRINUSE: code = "EADDRINUSE"; break;
    case EADDRNOTAVAIL: code = "EADDRNOTAVAIL"; break;
    case EACCES: code = "EACCES"; break;
    case EMFILE: code = "EMFILE"; break;
    case ENFILE: code = "ENFILE"; break;
    case EINVAL: code = "EINVAL"; break;
    case ENOSPC: code = "ENOSPC"; break;
    case EBADF: code = "EBADF"; break;
    default: code = "EIO"; break;
  }
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_throw_error(env, code, msg);
  return NULL;
}

static pump_t *unwrap_this(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv) {
  napi_value self;
  void *data = NULL;
  if (napi_get_cb_info(env, info, argc, argv, &self, NULL) != napi_ok) return NULL;
  if (napi_unwrap(env, self, &data) != napi_ok || data == NULL) {
    napi_throw_error(env, "ERR_PUMP_THIS", "not a pump");
    return NULL;
  }
  return (pump_t *)data;
}

static void free_pump_memory(pump_t *p) {
  free(p->fds); free(p->ports); free(p->free_ids);
  free(p->rmsgs); free(p->riov); free(p->raddr);
  free(p->smsgs); free(p->siov); free(p->saddr);
  free(p);
}

static void maybe_free(pump_t *p) {
  if (p->wrapper_gone && p->handle_closed) free_pump_memory(p);
}

static void update_ref(pump_t *p) {
  /* The poll handle keeps the loop alive only while sockets are open, like dgram sockets. */
  if (!p->poll || p->handle_closed || p->closed) return;
  if (p->open_count > 0) uv_ref((uv_handle_t *)p->poll);
  else uv_unref((uv_handle_t *)p->poll);
}

static void on_handle_closed(uv_handle_t *h) {
  pump_t *p = (pump_t *)h->data;
  free(h);
  p->poll = NULL;
  p->handle_closed = 1;
  if (p->cleanup) {
    napi_async_cleanup_hook_handle c = p->cleanup;
    p->cleanup = NULL;
    napi_remove_async_cleanup_hook(c);
  }
  maybe_free(p);
}

static void close_socket_id(pump_t *p, uint32_t id) {
  if (id >= p->cap || p->fds[id] < 0) return;
  int fd = p->fds[id];
  p->fds[id] = -1;
  p->ports[id] = 0;
  if (p->epfd >= 0) epoll_ctl(p->epfd, EPOLL_CTL_DEL, fd, NULL);
  close(fd);
  p->free_ids[(p->free_head + p->free_count) % p->cap] = id;
  p->free_count++;
  p->open_count--;
}

/* Releases sockets, epoll, JS references; starts closing the uv handle. Idempotent. */
static void pump_close(pump_t *p, int env_alive) {
  if (p->closed) return;
  p->closed = 1;
  for (uint32_t i = 0; i < p->cap; i++) {
    if (p->fds[i] >= 0) { close(p->fds[i]); p->fds[i] = -1; }
  }
  p->open_count = 0;
  if (env_alive) {
    napi_env env = p->env;
    if (p->cb_ref) napi_delete_reference(env, p->cb_ref);
    if (p->rxbuf_ref) napi_delete_reference(env, p->rxbuf_ref);
    if (p->rxmeta_ref) napi_delete_reference(env, p->rxmeta_ref);
    if (p->txbuf_ref) napi_delete_reference(env, p->txbuf_ref);
    if (p->txmeta_ref) napi_delete_reference(env, p->txmeta_ref);
    /* Closed from inside the batch callback: deliver() destroys the async context after it. */
    if (p->async_ctx && !p->in_dispatch) { napi_async_destroy(env, p->async_ctx); p->async_ctx = NULL; }
  }
  p->cb_ref = p->rxbuf_ref = p->rxmeta_ref = p->txbuf_ref = p->txmeta_ref = NULL;
  p->rx = p->tx = NULL;
  p->rxmeta = p->txmeta = NULL;
  if (p->poll && !p->handle_closed) {
    if (p->poll_active) uv_poll_stop(p->poll);
    p->poll_active = 0;
    /* The epoll fd is closed only after libuv stopped watching it. */
    uv_close((uv_handle_t *)p->poll, on_handle_closed);
  } else if (p->cleanup) {
    napi_async_cleanup_hook_handle c = p->cleanup;
    p->cleanup = NULL;
    napi_remove_async_cleanup_hook(c);
  }
  if (p->epfd >= 0) { close(p->epfd); p->epfd = -1; }
}

/* Environment teardown (worker thread exit, process exit): close and wait for uv_close. */
static void on_env_cleanup(napi_async_cleanup_hook_handle handle, void *arg) {
  pump_t *p = (pump_t *)arg;
  (void)handle;
  if (p->closed) {
    /* close() already ran: the uv_close callback removes the hook (signals completion). */
    if (p->handle_closed && p->cleanup) {
      napi_async_cleanup_hook_handle c = p->cleanup;
      p->cleanup = NULL;
      napi_remove_async_cleanup_hook(c);
    }
    return;
  }
  pump_close(p, 1);
}

static void on_finalize(napi_env env, void *data, void *hint) {
  (void)hint;
  pump_t *p = (pump_t *)data;
  if (!p->closed) pump_close(p, 1);
  (void)env;
  p->wrapper_gone = 1;
  maybe_free(p);
}

/* Delivers rx batch [0, n) to JS. Returns 0 when the pump was closed by the callback. */
static int deliver(pump_t *p, uint32_t n) {
  if (n == 0 || p->closed) return !p->closed;
  napi_env env = p->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return 0;
  napi_value cb, recv, arg, result;
  p->rx_batches++;
  p->in_dispatch = 1;
  if (napi_get_reference_value(env, p->cb_ref, &cb) == napi_ok && cb != NULL &&
      napi_get_global(env, &recv) == napi_ok && napi_create_uint32(env, n, &arg) == napi_ok) {
    /* make_callback: runs microtasks (the JS side flushes sends there) and async hooks. */
    napi_status st = napi_make_callback(env, p->async_ctx, recv, cb, 1, &arg, &result);
    if (st != napi_ok) {
      bool pending = false;
      napi_is_exception_pending(env, &pending);
      if (pending) {
        napi_value exc;
        napi_get_and_clear_last_exception(env, &exc);
      }
      p->callback_errors++;
    }
  }
  p->in_dispatch = 0;
  if (p->closed && p->async_ctx) { napi_async_destroy(env, p->async_ctx); p->async_ctx = NULL; }
  napi_close_handle_scope(env, scope);
  return !p->closed;
}

static void on_poll(uv_poll_t *h, int status, int events) {
  pump_t *p = (pump_t *)h->data;
  (void)events;
  if (p->closed || status < 0) return;
  p->rx_wakeups++;
  for (int round = 0; round < MAX_ROUNDS; round++) {
    int nev = epoll_wait(p->epfd, p->events, MAX_EVENTS, 0);
    if (nev <= 0) return;
    uint32_t slot = 0; /* next free receive slot */
    uint32_t cnt = 0;  /* packets (meta entries) in the batch; <= slot (dropped datagrams leave holes) */
    for (int e = 0; e < nev; e++) {
      uint32_t id = p->events[e].data.u32;
      /* Bound per socket per round: a flooded socket cannot starve the others. */
      uint32_t budget = p->slots;
      while (budget > 0) {
        if (p->closed) return;
        if (id >= p->cap || p->fds[id] < 0) break;
        uint32_t want = p->slots - slot;
        if (want > budget) want = budget;
        for (uint32_t k = slot; k < slot + want; k++) {
          struct msghdr *m = &p->rmsgs[k].msg_hdr;
          m->msg_name = &p->raddr[k];
          m->msg_namelen = sizeof(struct sockaddr_in);
          m->msg_iov = &p->riov[k];
          m->msg_iovlen = 1;
          m->msg_control = NULL;
          m->msg_controllen = 0;
          m->msg_flags = 0;
          p->rmsgs[k].msg_len = 0;
        }
        int r = recvmmsg(p->fds[id], &p->rmsgs[slot], want, MSG_DONTWAIT, NULL);
        if (r <= 0) {
          if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) p->rx_errors++;
          break;
        }
        budget -= (uint32_t)r;
        for (uint32_t k = slot; k < slot + (uint32_t)r; k++) {
          struct mmsghdr *m = &p->rmsgs[k];
          struct sockaddr_in *sa = &p->raddr[k];
          if (m->msg_hdr.msg_flags & MSG_TRUNC) { p->rx_oversized++; continue; }
          if (m->msg_hdr.msg_namelen < sizeof(struct sockaddr_in) || sa->sin_family != AF_INET) { p->rx_bad_source++; continue; }
          int32_t *mt = &p->rxmeta[cnt * META_STRIDE];
          mt[0] = (int32_t)id;
          mt[1] = (int32_t)ntohl(sa->sin_addr.s_addr);
          mt[2] = ntohs(sa->sin_port);
          mt[3] = (int32_t)((size_t)k * p->slot_size);
          mt[4] = (int32_t)m->msg_len;
          cnt++;
        }
        slot += (uint32_t)r;
        if (slot == p->slots) {
          p->rx_packets += cnt;
          if (!deliver(p, cnt)) return;
          slot = cnt = 0;
        }
        if ((uint32_t)r < want) break; /* socket drained */
      }
    }
    p->rx_packets += cnt;
    if (cnt > 0 && !deliver(p, cnt)) return;
    /* Common case: everything ready was drained; libuv polls again next turn. */
    if (nev < MAX_EVENTS) return;
  }
}

static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  pump_t *p = unwrap_this(env, info, &argc, argv);
  if (!p) return NULL;
  if (p->closed) { napi_throw_error(env, "ERR_PUMP_CLOSED", "pump is closed"); return NULL; }
  if (argc < 2) { napi_throw_type_error(env, "ERR_INVALID_ARG", "open(addr, port, rcvbuf?, sndbuf?)"); return NULL; }
  uint32_t addr = 0, port = 0;
  int32_t rcv = 0, snd = 0;
  CHECK(napi_get_value_uint32(env, argv[0], &addr));
  CHECK(napi_get_value_uint32(env, argv[1], &port));
  if (argc > 2) napi_get_value_int32(env, argv[2], &rcv);
  if (argc > 3) napi_get_value_int32(env, argv[3], &snd);
  if (port > 65535) { napi_throw_range_error(env, "ERR_INVALID_ARG", "port out of range"); return NULL; }
  if (p->free_count == 0) return throw_errno(env, "no free socket slot", EMFILE);
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "socket", errno);
  if (rcv > 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
  if (snd > 0) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd, sizeof snd);
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(addr);
  sa.sin_port = htons((uint16_t)port);
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "bind", err);
  }
  socklen_t len = sizeof sa;
  if (getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "getsockname", err);
  }
  uint32_t id = p->free_ids[p->free_head];
  struct epoll_event ev;
  memset(&ev, 0, sizeof ev);
  ev.events = EPOLLIN;
  ev.data.u32 = id;
  if (epoll_ctl(p->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "epoll_ctl", err);
  }
  p->free_head = (p->free_head + 1) % p->cap;
  p->free_count--;
  p->fds[id] = fd;
  p->ports[id] = ntohs(sa.sin_port);
  p->open_count++;
  update_ref(p);
  napi_value out;
  CHECK(napi_create_uint32(env, id, &out));
  return out;
}

static napi_value js_local_port(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  pump_t *p = unwrap_this(env, info, &argc, argv);
  if (!p) return NULL;
  uint32_t id = 0;
  if (argc < 1 || napi_get_value_uint32(env, argv[0], &id) != napi_ok) id = UINT32_MAX;
  napi_value out;
  CHECK(napi_create_int32(env, (!p->closed && id < p->cap && p->fds[id] >= 0) ? p->ports[id] : -1, &out));
  return out;
}

static napi_value js_close_socket(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  pump_t *p = unwrap_this(env, info, &argc, argv);
  if (!p) return NULL;
  uint32_t id = 0;
  if (!p->closed && argc >= 1 && napi_get_value_uint32(env, argv[0], &id) == napi_ok) {
    close_socket_id(p, id);
    update_ref(p);
  }
  return NULL;
}

static void fill_send(pump_t *p, uint32_t k, const int32_t *mt) {
  struct sockaddr_in *sa = &p->saddr[k];
  memset(sa, 0, sizeof *sa);
  sa->sin_family = AF_INET;
  sa->sin_addr.s_addr = htonl((uint32_t)mt[1]);
  sa->sin_port = htons((uint16_t)mt[2]);
  p->siov[k].iov_base = p->tx + mt[3];
  p->siov[k].iov_len = (size_t)mt[4];
  struct msghdr *h = &p->smsgs[k].msg_hdr;
  h->msg_name = sa;
  h->msg_namelen = sizeof *sa;
  h->msg_iov = &p->siov[k];
  h->msg_iovlen = 1;
  h->msg_control = NULL;
  h->msg_controllen = 0;
  h->msg_flags = 0;
}

static napi_value js_send(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  pump_t *p = unwrap_this(env, info, &argc, argv);
  if (!p) return NULL;
  uint32_t count = 0;
  if (argc >= 1) napi_get_value_uint32(env, argv[0], &count);
  uint32_t sent = 0;
  if (!p->closed) {
    if (count > p->tx_slots) { p->tx_invalid += count - p->tx_slots; count = p->tx_slots; }
    /* Validate, then send runs of packets for the same socket with one sendmmsg. */
    uint32_t i = 0;
    while (i < count) {
      const int32_t *mt = &p->txmeta[i * META_STRIDE];
      uint32_t id = (uint32_t)mt[0];
      if (id >= p->cap || p->fds[id] < 0 || mt[2] <= 0 || mt[2] > 65535 || mt[3] < 0 || mt[4] < 0 ||
          (uint64_t)mt[3] + (uint64_t)mt[4] > p->tx_bytes || mt[4] > 65507) {
        p->tx_invalid++;
        i++;
        continue;
      }
      uint32_t run = 0;
      while (i + run < count) {
        const int32_t *m2 = &p->txmeta[(i + run) * META_STRIDE];
        if ((uint32_t)m2[0] != id || m2[2] <= 0 || m2[2] > 65535 || m2[3] < 0 || m2[4] < 0 ||
            (uint64_t)m2[3] + (uint64_t)m2[4] > p->tx_bytes || m2[4] > 65507) break;
        fill_send(p, run, m2);
        run++;
      }
      int fd = p->fds[id];
      p->tx_calls++;
      if (run == 1) {
        ssize_t r = sendto(fd, p->siov[0].iov_base, p->siov[0].iov_len, MSG_DONTWAIT,
                           (struct sockaddr *)&p->saddr[0], sizeof(struct sockaddr_in));
        if (r < 0) p->tx_errors++;
        else sent++;
      } else {
        uint32_t done = 0;
        while (done < run) {
          int r = sendmmsg(fd, &p->smsgs[done], run - done, MSG_DONTWAIT);
          if (r <= 0) {
            /* The first message failed: count it and go on with the rest. */
            p->tx_errors++;
            done++;
            continue;
          }
          done += (uint32_t)r;
          sent += (uint32_t)r;
        }
      }
      i += run;
    }
    p->tx_packets += sent;
  }
  napi_value out;
  CHECK(napi_create_uint32(env, sent, &out));
  return out;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  pump_t *p = unwrap_this(env, info, &argc, NULL);
  if (!p) return NULL;
  pump_close(p, 1);
  return NULL;
}

static int set_num(napi_env env, napi_value obj, const char *name, double v) {
  napi_value x;
  if (napi_create_double(env, v, &x) != napi_ok) return 0;
  return napi_set_named_property(env, obj, name, x) == napi_ok;
}

static napi_value js_stats(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  pump_t *p = unwrap_this(env, info, &argc, NULL);
  if (!p) return NULL;
  napi_value o;
  CHECK(napi_create_object(env, &o));
  set_num(env, o, "sockets", p->closed ? 0 : p->open_count);
  set_num(env, o, "rxPackets", p->rx_packets);
  set_num(env, o, "rxBatches", p->rx_batches);
  set_num(env, o, "rxWakeups", p->rx_wakeups);
  set_num(env, o, "rxOversized", p->rx_oversized);
  set_num(env, o, "rxBadSource", p->rx_bad_source);
  set_num(env, o, "rxErrors", p->rx_errors);
  set_num(env, o, "txPackets", p->tx_packets);
  set_num(env, o, "txCalls", p->tx_calls);
  set_num(env, o, "txErrors", p->tx_errors);
  set_num(env, o, "txInvalid", p->tx_invalid);
  set_num(env, o, "callbackErrors", p->callback_errors);
  napi_value b;
  CHECK(napi_get_boolean(env, p->closed, &b));
  napi_set_named_property(env, o, "closed", b);
  return o;
}

static uint32_t opt_u32(napi_env env, napi_value obj, const char *name, uint32_t def, uint32_t min, uint32_t max) {
  bool has = false;
  napi_value v;
  uint32_t x = def;
  if (napi_has_named_property(env, obj, name, &has) == napi_ok && has &&
      napi_get_named_property(env, obj, name, &v) == napi_ok) {
    napi_valuetype t;
    if (napi_typeof(env, v, &t) == napi_ok && t == napi_number) napi_get_value_uint32(env, v, &x);
  }
  if (x < min) x = min;
  if (x > max) x = max;
  return x;
}

static napi_value make_ab(napi_env env, size_t bytes, void **data, napi_ref *ref) {
  napi_value ab;
  if (napi_create_arraybuffer(env, bytes, data, &ab) != napi_ok) return NULL;
  memset(*data, 0, bytes);
  if (napi_create_reference(env, ab, 1, ref) != napi_ok) return NULL;
  return ab;
}

/* createPump(onBatch, { slots = 128, slotSize = 4096, txBytes = 262144, txSlots = 512, maxSockets = 16384 }) */
static napi_value js_create_pump(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  napi_valuetype t;
  if (argc < 1 || napi_typeof(env, argv[0], &t) != napi_ok || t != napi_function) {
    napi_throw_type_error(env, "ERR_INVALID_ARG", "createPump(onBatch, options?)");
    return NULL;
  }
  napi_value opts = NULL;
  if (argc >= 2 && napi_typeof(env, argv[1], &t) == napi_ok && t == napi_object) opts = argv[1];
  else CHECK(napi_create_object(env, &opts));

  uv_loop_t *loop = NULL;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == NULL) {
    napi_throw_error(env, "ERR_PUMP_LOOP", "no event loop");
    return NULL;
  }
  pump_t *p = (pump_t *)calloc(1, sizeof(pump_t));
  if (!p) { napi_throw_error(env, "ENOMEM", "out of memory"); return NULL; }
  p->env = env;
  p->epfd = -1;
  p->handle_closed = 1;
  p->slots = opt_u32(env, opts, "slots", 128, 1, 1024);
  p->slot_size = opt_u32(env, opts, "slotSize", 4096, 64, 65536);
  p->tx_bytes = opt_u32(env, opts, "txBytes", 262144, 2048, 16u << 20);
  p->tx_slots = opt_u32(env, opts, "txSlots", 512, 1, 4096);
  p->cap = opt_u32(env, opts, "maxSockets", 16384, 1, MAX_SOCKETS);

  p->fds = malloc(sizeof(int) * p->cap);
  p->ports = calloc(p->cap, sizeof(uint16_t));
  p->free_ids = malloc(sizeof(uint32_t) * p->cap);
  p->rmsgs = calloc(p->slots, sizeof(struct mmsghdr));
  p->riov = calloc(p->slots, sizeof(struct iovec));
  p->raddr = calloc(p->slots, sizeof(struct sockaddr_in));
  p->smsgs = calloc(p->tx_slots, sizeof(struct mmsghdr));
  p->siov = calloc(p->tx_slots, sizeof(struct iovec));
  p->saddr = calloc(p->tx_slots, sizeof(struct sockaddr_in));
  if (!p->fds || !p->ports || !p->free_ids || !p->rmsgs || !p->riov || !p->raddr || !p->smsgs || !p->siov || !p->saddr) {
    p->wrapper_gone = 1;
    free_pump_memory(p);
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  for (uint32_t i = 0; i < p->cap; i++) { p->fds[i] = -1; p->free_ids[i] = i; }
  p->free_head = 0;
  p->free_count = p->cap;

  napi_value self, rxbuf, rxmeta, txbuf, txmeta, name;
  void *d;
  int ok = napi_create_object(env, &self) == napi_ok;
  ok = ok && (rxbuf = make_ab(env, (size_t)p->slots * p->slot_size, &d, &p->rxbuf_ref)) != NULL;
  if (ok) p->rx = d;
  ok = ok && (rxmeta = make_ab(env, (size_t)p->slots * META_STRIDE * 4, &d, &p->rxmeta_ref)) != NULL;
  if (ok) p->rxmeta = d;
  ok = ok && (txbuf = make_ab(env, p->tx_bytes, &d, &p->txbuf_ref)) != NULL;
  if (ok) p->tx = d;
  ok = ok && (txmeta = make_ab(env, (size_t)p->tx_slots * META_STRIDE * 4, &d, &p->txmeta_ref)) != NULL;
  if (ok) p->txmeta = d;
  ok = ok && napi_create_reference(env, argv[0], 1, &p->cb_ref) == napi_ok;
  ok = ok && napi_create_string_utf8(env, "tandem-udp-pump", NAPI_AUTO_LENGTH, &name) == napi_ok;
  ok = ok && napi_async_init(env, NULL, name, &p->async_ctx) == napi_ok;
  if (ok) {
    for (uint32_t i = 0; i < p->slots; i++) {
      p->riov[i].iov_base = p->rx + (size_t)i * p->slot_size;
      p->riov[i].iov_len = p->slot_size;
    }
    p->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (p->epfd < 0) {
      int err = errno;
      pump_close(p, 1);
      p->wrapper_gone = 1;
      maybe_free(p);
      return throw_errno(env, "epoll_create1", err);
    }
    p->poll = (uv_poll_t *)malloc(uv_handle_size(UV_POLL));
    if (!p->poll || uv_poll_init(loop, p->poll, p->epfd) != 0) {
      free(p->poll);
      p->poll = NULL;
      pump_close(p, 1);
      p->wrapper_gone = 1;
      maybe_free(p);
      napi_throw_error(env, "ERR_PUMP_POLL", "uv_poll_init failed");
      return NULL;
    }
    p->poll->data = p;
    p->handle_closed = 0;
    uv_poll_start(p->poll, UV_READABLE, on_poll);
    p->poll_active = 1;
    uv_unref((uv_handle_t *)p->poll);
  }
  ok = ok && napi_add_async_cleanup_hook(env, on_env_cleanup, p, &p->cleanup) == napi_ok;
  ok = ok && napi_wrap(env, self, p, on_finalize, NULL, NULL) == napi_ok;
  if (!ok) {
    /* Partially built: close what exists; memory goes with the handle close. */
    pump_close(p, 1);
    p->wrapper_gone = 1;
    maybe_free(p);
    napi_throw_error(env, "ERR_PUMP_CREATE", "could not create the pump");
    return NULL;
  }
  napi_property_descriptor props[] = {
    { "rxBuffer", NULL, NULL, NULL, NULL, rxbuf, napi_enumerable, NULL },
    { "rxMeta", NULL, NULL, NULL, NULL, rxmeta, napi_enumerable, NULL },
    { "txBuffer", NULL, NULL, NULL, NULL, txbuf, napi_enumerable, NULL },
    { "txMeta", NULL, NULL, NULL, NULL, txmeta, napi_enumerable, NULL },
    { "open", NULL, js_open, NULL, NULL, NULL, napi_default, NULL },
    { "localPort", NULL, js_local_port, NULL, NULL, NULL, napi_default, NULL },
    { "closeSocket", NULL, js_close_socket, NULL, NULL, NULL, napi_default, NULL },
    { "send", NULL, js_send, NULL, NULL, NULL, napi_default, NULL },
    { "stats", NULL, js_stats, NULL, NULL, NULL, napi_default, NULL },
    { "close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL },
  };
  CHECK(napi_define_properties(env, self, sizeof props / sizeof props[0], props));
  return self;
}

/* SRTP/SRTCP functions (srtp.c), exported by the same addon. */
napi_value tandem_srtp_init(napi_env env, napi_value exports);

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn, stride;
  if (tandem_srtp_init(env, exports) == NULL) return NULL;
  CHECK(napi_create_function(env, "createPump", NAPI_AUTO_LENGTH, js_create_pump, NULL, &fn));
  CHECK(napi_set_named_property(env, exports, "createPump", fn));
  CHECK(napi_create_uint32(env, META_STRIDE, &stride));
  CHECK(napi_set_named_property(env, exports, "META_STRIDE", stride));
  return exports;
}

NAPI_MODULE_INIT() {
  return init(env, exports);
}
