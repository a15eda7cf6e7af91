// sd_notify(3) for the daemon: one datagram to the service manager's $NOTIFY_SOCKET. Node has no
// unix datagram sockets, so this is the one piece of `cleave daemon` that lives in the addon.
// The socket is non-blocking and the send is one sendto(2): the event loop never waits on systemd.
#include "addon/sd_notify.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <string>

#include "addon/errors.h"

namespace cleave {
namespace {

std::string Describe(const char* socket_path, const char* what, int err) {
  return std::string("sd_notify: ") + what + " NOTIFY_SOCKET=" + socket_path + ": " + strerror(err);
}

// Sends `state` to `socket_path` (a file path, or '@' for Linux's abstract namespace); on failure
// returns false with `error` and `code` set.
bool SendNotification(const char* socket_path, const std::string& state, std::string* error, StatusCode* code) {
  sockaddr_un address;
  memset(&address, 0, sizeof address);
  address.sun_family = AF_UNIX;
  const size_t length = strlen(socket_path);
  if ((socket_path[0] != '/' && socket_path[0] != '@') || length < 2) {
    *code = StatusCode::kBadArgument;
    *error = std::string("sd_notify: NOTIFY_SOCKET=") + socket_path + ": neither an absolute path nor an abstract '@' name";
    return false;
  }
  // sun_path holds 108 bytes: a path needs its terminating NUL, an abstract name does not.
  if (length >= sizeof address.sun_path + (socket_path[0] == '@' ? 1 : 0)) {
    *code = StatusCode::kBadArgument;
    *error = std::string("sd_notify: NOTIFY_SOCKET=") + socket_path + ": longer than a unix socket address (" +
             std::to_string(sizeof address.sun_path - 1) + " bytes)";
    return false;
  }
  memcpy(address.sun_path, socket_path, length);
  socklen_t address_length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + length);
  if (socket_path[0] == '@') {
    address.sun_path[0] = '\0';
  } else {
    address_length += 1;
  }
  const int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    *code = StatusCode::kNotifyFailed;
    *error = Describe(socket_path, "socket()", errno);
    return false;
  }
  const ssize_t sent = sendto(fd, state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<const sockaddr*>(&address), address_length);
  const int send_errno = errno;
  close(fd);
  if (sent < 0) {
    *code = StatusCode::kNotifyFailed;
    *error = Describe(socket_path, "sendto()", send_errno);
    return false;
  }
  return true;
}

Napi::Value SdNotifyJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) {
    throw CodedError(env, StatusCode::kBadArgument, "sdNotify(state): state must be a string such as \"READY=1\"");
  }
  const std::string state = info[0].As<Napi::String>().Utf8Value();
  const char* socket_path = getenv("NOTIFY_SOCKET");
  if (socket_path == nullptr || socket_path[0] == '\0') return Napi::Boolean::New(env, false);
  std::string error;
  StatusCode code = StatusCode::kOk;
  if (!SendNotification(socket_path, state, &error, &code)) throw CodedError(env, code, error);
  return Napi::Boolean::New(env, true);
}

}  // namespace

void RegisterSdNotify(Napi::Env env, Napi::Object exports) {
  exports.Set("sdNotify", Napi::Function::New(env, SdNotifyJs, "sdNotify"));
}

}  // namespace cleave
