#include "net/http_text_server.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace fixnet::net {

HttpAnswer answer_http_request(std::string_view request) {
  const size_t end = request.find("\r\n\r\n");
  // A head that ends beyond the limit is too large however it arrived (one read or many).
  if (end == std::string_view::npos || end + 4 > kMaxHttpRequestBytes)
    return request.size() > kMaxHttpRequestBytes ? HttpAnswer::kTooLarge : HttpAnswer::kIncomplete;
  const std::string_view line = request.substr(0, request.find("\r\n"));
  return line.starts_with("GET /metrics ") || line.starts_with("GET / ") ? HttpAnswer::kServe : HttpAnswer::kNotFound;
}

HttpTextServer::HttpTextServer(EventLoop& loop, const TcpAddress& address, std::function<std::string()> body)
    : loop_(loop), listener_(tcp_listen(address)), body_(std::move(body)) {
  loop_.add(listener_.get(), EPOLLIN, [this](uint32_t) { accept_all(); });
}

HttpTextServer::~HttpTextServer() {
  for (auto& [fd, client] : clients_) loop_.remove(fd);
  loop_.remove(listener_.get());
}

void HttpTextServer::accept_all() {
  while (UniqueFd client = tcp_accept(listener_.get())) {
    const int fd = client.get();
    clients_.emplace(fd, std::make_pair(std::move(client), std::string()));
    loop_.add(fd, EPOLLIN | EPOLLRDHUP, [this, fd](uint32_t) { on_readable(fd); });
  }
}

void HttpTextServer::on_readable(int fd) {
  auto it = clients_.find(fd);
  if (it == clients_.end()) return;
  std::string& request = it->second.second;
  char buffer[2048];
  const ssize_t n = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
  if (n <= 0) {
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    loop_.remove(fd);
    clients_.erase(it);
    return;
  }
  request.append(buffer, static_cast<size_t>(n));
  switch (answer_http_request(request)) {
    case HttpAnswer::kIncomplete: return;
    case HttpAnswer::kServe: return finish(fd, "200 OK", body_());
    case HttpAnswer::kNotFound: return finish(fd, "404 Not Found", "only GET /metrics is served here\n");
    case HttpAnswer::kTooLarge: return finish(fd, "431 Request Header Fields Too Large", "request too long\n");
  }
}

void HttpTextServer::finish(int fd, const std::string& status, const std::string& body) {
  const std::string reply = "HTTP/1.1 " + status + "\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: " +
                            std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  // Blocking for the reply: a few KiB the kernel's buffer takes at once, and a scraper that stalls
  // is cut off by the send timeout rather than holding the control thread.
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  const timeval timeout{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  size_t sent = 0;
  while (sent < reply.size()) {
    const ssize_t n = ::send(fd, reply.data() + sent, reply.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  loop_.remove(fd);
  clients_.erase(fd);
}

}  // namespace fixnet::net
