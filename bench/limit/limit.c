/*
 * The machine's limit for the bench's job (issue 25): N WebSocket clients, each sending one 64-byte text
 * message per second and checking its echo, with as little as a client can do. One thread, one epoll set,
 * non-blocking sockets, a 12-byte struct per connection and no buffer held between frames: every read goes
 * into one shared stack buffer and is checked byte by byte against the frame the echo must be, so a frame
 * split across reads needs only a position. What this process costs is what any tool must pay for the same
 * work; docs/benchmarks.md states SimCluster's cost as a multiple of it.
 *
 * Like SimCluster, client i binds its own source address (127.1.0.1 + i, IP_BIND_ADDRESS_NO_PORT), so more
 * than ~28,000 connections to one target port are possible. Frames are masked with keys from getrandom(),
 * drawn 4 KB at a time, as RFC 6455 requires of a client. Not done, on purpose: checking the server's
 * Sec-WebSocket-Accept (SHA-1; the handshake is outside the measured hold), answering PINGs and fragmented or
 * compressed echoes (the reference target sends none of them: any such byte counts as a bad echo).
 *
 *   limit ws://127.0.0.1:PORT/ws CLIENTS SECONDS [RATE]
 * Prints a line every 5 s and a summary at the end (or on SIGINT/SIGTERM): connections held, echoes/s, its
 * own RSS (/proc/self/statm) and CPU (getrusage, user + system) per echo.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

enum { FREE, CONNECTING, HANDSHAKE, OPEN, DEAD };

/* 12 bytes: everything a connection keeps between events. */
struct conn {
    int32_t fd;
    uint8_t state;
    uint8_t crlf;     /* handshake: how much of "\r\n\r\n" was seen last */
    uint16_t rx;      /* position in the frame being received (or in the handshake's status line) */
    uint32_t pending; /* messages sent and not yet echoed */
};

static const char MESSAGE[] = "{\"c\":0,\"s\":0,\"t\":0,\"p\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}";
#define MSG_LEN 64
#define ECHO_LEN (2 + MSG_LEN) /* the server's frame: FIN|text, length 64, unmasked */
static uint8_t echo_frame[ECHO_LEN];
static const char STATUS[] = "HTTP/1.1 101";

static struct conn *conns;
static int n_clients, epfd;
static long long opened, open_now, echoes, bad, lost, send_fail, connect_fail;
static volatile sig_atomic_t stop_now;
static char request[512];
static int request_len, request_key_at;

static uint8_t randoms[4096];
static size_t random_at = sizeof randoms;

static uint64_t now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void random_bytes(uint8_t *out, size_t n) {
    if (random_at + n > sizeof randoms) {
        if (getrandom(randoms, sizeof randoms, 0) != (ssize_t)sizeof randoms) { perror("getrandom"); exit(1); }
        random_at = 0;
    }
    memcpy(out, randoms + random_at, n);
    random_at += n;
}

static long rss_kb(void) {
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) { if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0; fclose(f); }
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static double cpu_us(void) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e6 + u.ru_utime.tv_usec + u.ru_stime.tv_usec;
}

static void end_conn(int i, int state) {
    struct conn *c = &conns[i];
    if (c->state == OPEN) open_now--;
    close(c->fd);
    c->fd = -1;
    c->state = state;
}

static void start_conn(int i, const struct sockaddr_in *target) {
    struct conn *c = &conns[i];
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) { connect_fail++; c->state = DEAD; return; }
    int one = 1;
    setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in src = { .sin_family = AF_INET, .sin_addr.s_addr = htonl((127u << 24 | 1u << 16) + 1 + (uint32_t)i) };
    if (bind(fd, (struct sockaddr *)&src, sizeof src) < 0 ||
        (connect(fd, (const struct sockaddr *)target, sizeof *target) < 0 && errno != EINPROGRESS)) {
        close(fd); connect_fail++; c->state = DEAD; return;
    }
    c->fd = fd;
    c->state = CONNECTING;
    struct epoll_event ev = { .events = EPOLLOUT, .data.u32 = (uint32_t)i };
    epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

static void send_handshake(int i) {
    struct conn *c = &conns[i];
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err) { connect_fail++; end_conn(i, DEAD); return; }
    /* A fresh 16-byte key, base64: 22 characters and "==". */
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    uint8_t key[18] = {0};
    random_bytes(key, 16);
    char *k = request + request_key_at;
    for (int j = 0; j < 18; j += 3) {
        uint32_t v = (uint32_t)key[j] << 16 | (uint32_t)key[j + 1] << 8 | key[j + 2];
        int at = j / 3 * 4;
        k[at] = b64[v >> 18 & 63]; k[at + 1] = b64[v >> 12 & 63];
        if (at + 2 < 22) k[at + 2] = b64[v >> 6 & 63];
        if (at + 3 < 22) k[at + 3] = b64[v & 63];
    }
    if (write(c->fd, request, request_len) != request_len) { connect_fail++; end_conn(i, DEAD); return; }
    c->state = HANDSHAKE;
    c->rx = 0;
    c->crlf = 0;
    struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)i };
    epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

static void send_message(int i) {
    struct conn *c = &conns[i];
    uint8_t frame[2 + 4 + MSG_LEN];
    frame[0] = 0x81;
    frame[1] = 0x80 | MSG_LEN;
    random_bytes(frame + 2, 4);
    for (int j = 0; j < MSG_LEN; j++) frame[6 + j] = (uint8_t)MESSAGE[j] ^ frame[2 + (j & 3)];
    /* 70 bytes into an idle socket's send buffer: a short write means the connection is stuck, not slow. */
    if (write(c->fd, frame, sizeof frame) != (ssize_t)sizeof frame) { send_fail++; return; }
    c->pending++;
}

static void on_readable(int i) {
    struct conn *c = &conns[i];
    uint8_t buf[4096];
    ssize_t n = read(c->fd, buf, sizeof buf);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n <= 0) { lost++; end_conn(i, DEAD); return; }
    for (ssize_t j = 0; j < n; j++) {
        uint8_t b = buf[j];
        if (c->state == HANDSHAKE) {
            if (c->rx < sizeof STATUS - 1) {
                if (b != (uint8_t)STATUS[c->rx]) { connect_fail++; end_conn(i, DEAD); return; }
                c->rx++;
            }
            c->crlf = (b == (c->crlf & 1 ? '\n' : '\r')) ? c->crlf + 1 : (b == '\r');
            if (c->crlf == 4) { c->state = OPEN; c->rx = 0; opened++; open_now++; }
            continue;
        }
        if (b != echo_frame[c->rx]) { bad++; end_conn(i, DEAD); return; }
        if (++c->rx == ECHO_LEN) { c->rx = 0; echoes++; if (c->pending) c->pending--; }
    }
}

static void on_signal(int s) { (void)s; stop_now = 1; }

static void report(const char *what, double seconds, long long e0, double cpu0) {
    double e = (double)(echoes - e0), cpu = cpu_us() - cpu0;
    printf("%s: held %lld of %d, echoes/s %.0f, RSS %ld KB, CPU %.1f us per echo, bad %lld, lost %lld, send failures %lld, connect failures %lld\n",
           what, open_now, n_clients, e / seconds, rss_kb(), e > 0 ? cpu / e : 0.0, bad, lost, send_fail, connect_fail);
    fflush(stdout);
}

int main(int argc, char **argv) {
    if (argc < 4) { fprintf(stderr, "usage: %s ws://127.0.0.1:PORT/PATH CLIENTS SECONDS [RATE]\n", argv[0]); return 2; }
    char host[64], path[256] = "/";
    int port;
    if (sscanf(argv[1], "ws://%63[^:/]:%d%255s", host, &port, path) < 2) { fprintf(stderr, "bad url %s\n", argv[1]); return 2; }
    n_clients = atoi(argv[2]);
    int seconds = atoi(argv[3]);
    int rate = argc > 4 ? atoi(argv[4]) : 5000;
    if (n_clients <= 0 || n_clients > 65000 || seconds <= 0 || rate <= 0) { fprintf(stderr, "bad arguments\n"); return 2; }

    struct rlimit files;
    getrlimit(RLIMIT_NOFILE, &files);
    if (files.rlim_cur < (rlim_t)n_clients + 64) {
        files.rlim_cur = files.rlim_max < (rlim_t)n_clients + 64 ? files.rlim_max : (rlim_t)n_clients + 64;
        setrlimit(RLIMIT_NOFILE, &files);
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);

    struct sockaddr_in target = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    if (inet_pton(AF_INET, host, &target.sin_addr) != 1) { fprintf(stderr, "host must be an IPv4 address\n"); return 2; }
    request_len = snprintf(request, sizeof request,
        "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: ______________________==\r\nSec-WebSocket-Version: 13\r\n\r\n", path, host, port);
    request_key_at = (int)(strstr(request, "Sec-WebSocket-Key: ") - request) + 19;
    echo_frame[0] = 0x81;
    echo_frame[1] = MSG_LEN;
    memcpy(echo_frame + 2, MESSAGE, MSG_LEN);

    conns = calloc((size_t)n_clients, sizeof *conns);
    epfd = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event events[256];

    uint64_t start = now_ms(), end = start + (uint64_t)seconds * 1000, last_report = start;
    long long started = 0, e_report = 0;
    double cpu_report = cpu_us();
    uint64_t next_slot_ms = start; /* every client sends in slot (i % 1000) of each second */
    while (!stop_now && now_ms() < end) {
        uint64_t t = now_ms();
        long long due = (long long)((t - start + 1) * (uint64_t)rate / 1000);
        while (started < n_clients && started < due) start_conn((int)started++, &target);
        for (; next_slot_ms <= t; next_slot_ms++) {
            int slot = (int)((next_slot_ms - start) % 1000);
            for (int i = slot; i < n_clients; i += 1000)
                if (conns[i].state == OPEN) send_message(i);
        }
        if (t - last_report >= 5000) {
            report("every 5 s", (t - last_report) / 1000.0, e_report, cpu_report);
            last_report = t; e_report = echoes; cpu_report = cpu_us();
        }
        int n = epoll_wait(epfd, events, 256, 1);
        for (int k = 0; k < n; k++) {
            int i = (int)events[k].data.u32;
            if (conns[i].state == CONNECTING) send_handshake(i);
            else if (conns[i].state == HANDSHAKE || conns[i].state == OPEN) on_readable(i);
        }
    }
    report("at the end (last interval)", (now_ms() - last_report) / 1000.0, e_report, cpu_report);
    printf("total: opened %lld, echoes %lld, %.1f s, struct per connection %zu bytes\n", opened, echoes,
           (now_ms() - start) / 1000.0, sizeof(struct conn));
    return 0;
}
