// A tiny local HTTP receiver on the test's io_context, a temporary file, and a loop that runs the
// io_context until what a test waits for happened or a limit passed (nothing sleeps): for the
// tests of the HTTP clients (webhooks, the recorder's).
#pragma once

#include <unistd.h>

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace tessera::control::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using Request = http::request<http::string_body>;

inline std::string ToString(beast::string_view s) { return std::string(s.data(), s.size()); }

inline bool RunUntil(asio::io_context& io, const std::function<bool()>& done,
                     std::chrono::milliseconds limit = std::chrono::milliseconds(10000)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    io.restart();
    io.run_for(std::chrono::milliseconds(10));
  }
  return done();
}

// Takes one request per connection and answers it with the next of `statuses` and `bodies` (the
// last one again once they are used up). Runs on: the test's io_context.
class Receiver {
 public:
  Receiver(asio::io_context& io, std::vector<unsigned> statuses,
           std::vector<std::string> bodies = {})
      : acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        statuses_(std::move(statuses)),
        bodies_(std::move(bodies)) {
    Accept();
  }

  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + path;
  }
  const std::vector<Request>& requests() const { return requests_; }

 private:
  struct Exchange {
    explicit Exchange(tcp::socket s) : socket(std::move(s)) {}
    tcp::socket socket;
    beast::flat_buffer buffer;
    Request request;
    http::response<http::string_body> response;
  };

  void Accept() {
    acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
      if (ec) return;
      auto exchange = std::make_shared<Exchange>(std::move(socket));
      http::async_read(exchange->socket, exchange->buffer, exchange->request,
                       [this, exchange](const boost::system::error_code& read_ec, size_t) {
                         if (read_ec) return;
                         requests_.push_back(exchange->request);
                         const size_t i = std::min(requests_.size(), statuses_.size()) - 1;
                         exchange->response.version(11);
                         exchange->response.result(statuses_[i]);
                         exchange->response.keep_alive(false);
                         // A 204 has no body.
                         if (statuses_[i] != 204) {
                           exchange->response.body() =
                               bodies_.empty() ? "{}" : bodies_[std::min(i, bodies_.size() - 1)];
                         }
                         exchange->response.prepare_payload();
                         http::async_write(exchange->socket, exchange->response,
                                           [exchange](const boost::system::error_code&, size_t) {
                                             boost::system::error_code ignored;
                                             exchange->socket.shutdown(tcp::socket::shutdown_both,
                                                                       ignored);
                                           });
                       });
      Accept();
    });
  }

  tcp::acceptor acceptor_;
  const std::vector<unsigned> statuses_;
  const std::vector<std::string> bodies_;  // answered like statuses_; none: "{}"
  std::vector<Request> requests_;
};

// A file of its own under the temp dir, removed at the end of the test.
class TempFile {
 public:
  TempFile(const std::string& name, const std::string& content)
      : path_((std::filesystem::temp_directory_path() /
               ("tessera_control_" + name + "_" + std::to_string(::getpid())))
                  .string()) {
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    out << content;
  }
  ~TempFile() {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace tessera::control::testing
