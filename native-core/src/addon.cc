// The Node-API addon: one call, execve(), with Node's process state undone
// first (TOOLCHAIN.md "execve() from a Node process"). Everything else runs in
// tscore-exec, a single-threaded process, after this exec.
#include <napi.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/nsfs.h>
#include <linux/openat2.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

// Strings as UTF-8; Buffers byte for byte (argv the caller gave may be any bytes).
std::vector<std::string> Strings(const Napi::Array& a) {
  std::vector<std::string> out;
  for (uint32_t i = 0; i < a.Length(); i++) {
    Napi::Value v = a.Get(i);
    if (v.IsBuffer()) {
      auto b = v.As<Napi::Buffer<char>>();
      out.emplace_back(b.Data(), b.Length());
    } else {
      out.push_back(v.As<Napi::String>().Utf8Value());
    }
  }
  return out;
}

std::vector<char*> CStrings(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v) out.push_back(&s[0]);
  out.push_back(nullptr);
  return out;
}

// What Node leaves behind that must not reach the new program; restored if
// execve() fails and we stay Node.
struct NodeLeftovers {
  int fd_flags[3], fl_flags[3];
  std::vector<std::pair<int, int>> inherited;  // fd, its flags before
  struct sigaction pipe, xfsz;
  sigset_t mask;

  void Undo(const std::vector<int>& inherit) {
    for (int fd : inherit) {
      int flags = fcntl(fd, F_GETFD);
      if (flags < 0) continue;
      inherited.push_back({fd, flags});
      fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC);
    }
    for (int fd = 0; fd < 3; fd++) {
      fd_flags[fd] = fcntl(fd, F_GETFD);
      fl_flags[fd] = fcntl(fd, F_GETFL);
      if (fd_flags[fd] >= 0) fcntl(fd, F_SETFD, fd_flags[fd] & ~FD_CLOEXEC);
      if (fl_flags[fd] >= 0) fcntl(fd, F_SETFL, fl_flags[fd] & ~O_NONBLOCK);
    }
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigaction(SIGPIPE, &dfl, &pipe);
    sigaction(SIGXFSZ, &dfl, &xfsz);
    sigset_t none;
    sigemptyset(&none);
    pthread_sigmask(SIG_SETMASK, &none, &mask);
  }

  void Redo() {
    for (auto& [fd, flags] : inherited) fcntl(fd, F_SETFD, flags);
    for (int fd = 0; fd < 3; fd++) {
      if (fd_flags[fd] >= 0) fcntl(fd, F_SETFD, fd_flags[fd]);
      if (fl_flags[fd] >= 0) fcntl(fd, F_SETFL, fl_flags[fd]);
    }
    sigaction(SIGPIPE, &pipe, nullptr);
    sigaction(SIGXFSZ, &xfsz, nullptr);
    pthread_sigmask(SIG_SETMASK, &mask, nullptr);
  }
};

// execve(path, argv, envp, inherit): returns only on failure, with the errno.
// `inherit` are the caller's fds, which Node marked close-on-exec at start-up.
Napi::Value Execve(const Napi::CallbackInfo& info) {
  std::string path = info[0].As<Napi::String>().Utf8Value();
  auto argv = Strings(info[1].As<Napi::Array>());
  auto envp = Strings(info[2].As<Napi::Array>());
  auto cargv = CStrings(argv);
  auto cenvp = CStrings(envp);
  std::vector<int> inherit;
  auto fds = info[3].As<Napi::Array>();
  for (uint32_t i = 0; i < fds.Length(); i++) inherit.push_back(fds.Get(i).As<Napi::Number>().Int32Value());

  NodeLeftovers left;
  left.Undo(inherit);
  execve(path.c_str(), cargv.data(), cenvp.data());
  int err = errno;
  left.Redo();
  return Napi::Number::New(info.Env(), err);
}

// A memfd holding `data`, read from the start by tscore-exec: the plan travels
// there, not in argv (no E2BIG, and `ps` shows the tool's own command line).
// Returns the fd (close-on-exec: the caller passes it on explicitly) or -errno.
Napi::Value MemFd(const Napi::CallbackInfo& info) {
  auto data = info[0].As<Napi::Buffer<char>>();
  int fd = memfd_create("tscore-plan", MFD_CLOEXEC);
  if (fd < 0) return Napi::Number::New(info.Env(), -errno);
  size_t done = 0;
  while (done < data.Length()) {
    ssize_t r = write(fd, data.Data() + done, data.Length() - done);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      int err = r < 0 ? errno : EIO;
      close(fd);
      return Napi::Number::New(info.Env(), -err);
    }
    done += r;
  }
  return Napi::Number::New(info.Env(), fd);
}

Napi::Value Strerror(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), strerror(info[0].As<Napi::Number>().Int32Value()));
}

// The open fds: [{fd, link (readlink of /proc/self/fd/N), mode (O_ACCMODE)}].
Napi::Value FdTable(const Napi::CallbackInfo& info) {
  auto out = Napi::Array::New(info.Env());
  DIR* dir = opendir("/proc/self/fd");
  if (!dir) return out;
  int own = dirfd(dir);
  uint32_t n = 0;
  while (struct dirent* e = readdir(dir)) {
    if (e->d_name[0] == '.') continue;
    int fd = atoi(e->d_name);
    if (fd == own) continue;
    char link[4096];
    ssize_t len = readlinkat(own, e->d_name, link, sizeof link - 1);
    int flags = fcntl(fd, F_GETFL);
    if (len < 0 || flags < 0) continue;
    auto entry = Napi::Object::New(info.Env());
    entry.Set("fd", fd);
    entry.Set("link", std::string(link, len));
    entry.Set("mode", flags & O_ACCMODE);
    out.Set(n++, entry);
  }
  closedir(dir);
  return out;
}

// The CLONE_NEW* type of a namespace file, or -errno (ENOTTY: not a namespace).
Napi::Value NsType(const Napi::CallbackInfo& info) {
  std::string path = info[0].As<Napi::String>().Utf8Value();
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  int type = fd < 0 ? -errno : ioctl(fd, NS_GET_NSTYPE);
  if (fd >= 0 && type < 0) type = -errno;
  if (fd >= 0) close(fd);
  return Napi::Number::New(info.Env(), type);
}

// openat2(root, path, flags | O_CLOEXEC) with RESOLVE_IN_ROOT and
// RESOLVE_NO_MAGICLINKS: a file of a container's root as the container
// would reach it, whatever links or races it plants; the fd, or -errno.
Napi::Value OpenInRoot(const Napi::CallbackInfo& info) {
  std::string root = info[0].As<Napi::String>().Utf8Value();
  std::string path = info[1].As<Napi::String>().Utf8Value();
  int dir = open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return Napi::Number::New(info.Env(), -errno);
  struct open_how how = {};
  how.flags = static_cast<uint64_t>(info[2].As<Napi::Number>().Int32Value()) | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  long fd = syscall(SYS_openat2, dir, path.c_str(), &how, sizeof how);
  int err = errno;
  close(dir);
  return Napi::Number::New(info.Env(), fd < 0 ? -err : static_cast<double>(fd));
}

// The inode of the user namespace that owns (is the parent of) the user
// namespace file `path` (ioctl NS_GET_PARENT), or -errno (EPERM: it lies
// outside ours).
Napi::Value UserNsParent(const Napi::CallbackInfo& info) {
  std::string path = info[0].As<Napi::String>().Utf8Value();
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Napi::Number::New(info.Env(), -errno);
  int parent = ioctl(fd, NS_GET_PARENT);
  int err = errno;
  close(fd);
  if (parent < 0) return Napi::Number::New(info.Env(), -err);
  struct stat st;
  int r = fstat(parent, &st);
  close(parent);
  return Napi::Number::New(info.Env(), r < 0 ? -EIO : static_cast<double>(st.st_ino));
}

// flock(fd, LOCK_EX): wait for an exclusive lock on an open file (tsoci's
// lock against concurrent commands on one container). 0 or -errno.
Napi::Value Flock(const Napi::CallbackInfo& info) {
  int fd = info[0].As<Napi::Number>().Int32Value();
  int r;
  do r = flock(fd, LOCK_EX);
  while (r < 0 && errno == EINTR);
  return Napi::Number::New(info.Env(), r < 0 ? -errno : 0);
}

// mkfifo(path, mode): tsoci's exec FIFO. 0 or -errno.
Napi::Value Mkfifo(const Napi::CallbackInfo& info) {
  std::string path = info[0].As<Napi::String>().Utf8Value();
  int r = mkfifo(path.c_str(), static_cast<mode_t>(info[1].As<Napi::Number>().Uint32Value()));
  return Napi::Number::New(info.Env(), r < 0 ? -errno : 0);
}

// pidfdSignal(pid, startTime, sig): tsoci's kill of a container's init. The
// pidfd is opened first, then /proc/PID/stat must say the process started at
// startTime (field 22): the signal goes to that process, never to one that
// got its PID after it died. 0, or -errno (-ESRCH: gone, or not it).
Napi::Value PidfdSignal(const Napi::CallbackInfo& info) {
  pid_t pid = info[0].As<Napi::Number>().Int32Value();
  std::string start = info[1].As<Napi::String>().Utf8Value();
  int sig = info[2].As<Napi::Number>().Int32Value();
  int fd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) return Napi::Number::New(info.Env(), -errno);
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
  int stat = open(path, O_RDONLY | O_CLOEXEC);
  ssize_t n = stat < 0 ? -1 : read(stat, buf, sizeof buf - 1);
  if (stat >= 0) close(stat);
  const char* p = n > 0 ? (buf[n] = 0, strrchr(buf, ')')) : nullptr;
  for (int field = 2; p && field < 22; field++) p = strchr(p + 1, ' ');
  int r = -ESRCH;
  if (p && std::string(p + 1, strcspn(p + 1, " ")) == start) {
    r = static_cast<int>(syscall(SYS_pidfd_send_signal, fd, sig, nullptr, 0));
    if (r < 0) r = -errno;
  }
  close(fd);
  return Napi::Number::New(info.Env(), r);
}

// cgroupDevices(dir, insns): tsoci's device rules on cgroup v2, an eBPF
// program (BPF_PROG_TYPE_CGROUP_DEVICE, 8-byte instructions) loaded and
// attached to the cgroup directory with BPF_F_ALLOW_MULTI (as runc); the
// kernel keeps it there until the cgroup goes. 0 or -errno.
Napi::Value CgroupDevices(const Napi::CallbackInfo& info) {
  std::string path = info[0].As<Napi::String>().Utf8Value();
  Napi::Buffer<uint8_t> insns = info[1].As<Napi::Buffer<uint8_t>>();
  static const char license[] = "Apache";
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = reinterpret_cast<uintptr_t>(insns.Data());
  attr.insn_cnt = static_cast<uint32_t>(insns.Length() / 8);
  attr.license = reinterpret_cast<uintptr_t>(license);
  int prog = static_cast<int>(syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof attr));
  if (prog < 0) return Napi::Number::New(info.Env(), -errno);
  int dir = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int r = dir < 0 ? -errno : 0;
  if (dir >= 0) {
    memset(&attr, 0, sizeof attr);
    attr.target_fd = static_cast<uint32_t>(dir);
    attr.attach_bpf_fd = static_cast<uint32_t>(prog);
    attr.attach_type = BPF_CGROUP_DEVICE;
    attr.attach_flags = BPF_F_ALLOW_MULTI;
    if (syscall(SYS_bpf, BPF_PROG_ATTACH, &attr, sizeof attr) < 0) r = -errno;
    close(dir);
  }
  close(prog);
  return Napi::Number::New(info.Env(), r);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("userNsParent", Napi::Function::New(env, UserNsParent));
  exports.Set("nsType", Napi::Function::New(env, NsType));
  exports.Set("fdTable", Napi::Function::New(env, FdTable));
  exports.Set("execve", Napi::Function::New(env, Execve));
  exports.Set("memfd", Napi::Function::New(env, MemFd));
  exports.Set("strerror", Napi::Function::New(env, Strerror));
  exports.Set("flock", Napi::Function::New(env, Flock));
  exports.Set("mkfifo", Napi::Function::New(env, Mkfifo));
  exports.Set("cgroupDevices", Napi::Function::New(env, CgroupDevices));
  exports.Set("pidfdSignal", Napi::Function::New(env, PidfdSignal));
  exports.Set("openInRoot", Napi::Function::New(env, OpenInRoot));
  return exports;
}

}  // namespace

NODE_API_MODULE(tscore, Init)
