#include "common/output_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "common/error.hpp"

namespace copylab {
namespace {

// Writes all of `text` to a new file `path`; returns 0 or the errno of the failing call.
int write_new_file(const std::string& path, const std::string& text, std::string* call) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    *call = "open";
    return errno;
  }
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : EIO;
      close(fd);
      unlink(path.c_str());
      *call = "write";
      return err;
    }
    done += static_cast<std::size_t>(n);
  }
  // Delayed allocation can report ENOSPC only here.
  if (fsync(fd) != 0 && errno != EINVAL && errno != EROFS) {
    const int err = errno;
    close(fd);
    unlink(path.c_str());
    *call = "fsync";
    return err;
  }
  if (close(fd) != 0) {
    const int err = errno;
    unlink(path.c_str());
    *call = "close";
    return err;
  }
  return 0;
}

// Writes into an existing non-regular file (/dev/stdout, a FIFO, /dev/full): renaming a
// temporary file over it would replace the device node instead of writing to it.
int write_in_place(const std::string& path, const std::string& text, std::string* call) {
  const int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    *call = "open";
    return errno;
  }
  for (std::size_t done = 0; done < text.size();) {
    const ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : EIO;
      close(fd);
      *call = "write";
      return err;
    }
    done += static_cast<std::size_t>(n);
  }
  close(fd);
  return 0;
}

// 0 or the errno; `call` names the failing system call.
int try_write_atomic(const std::string& path, const std::string& text, std::string* call) {
  struct stat st {};
  if (stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) return write_in_place(path, text, call);
  const std::string tmp = path + ".tmp";
  if (const int err = write_new_file(tmp, text, call); err != 0) return err;
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    unlink(tmp.c_str());
    *call = "rename";
    return err;
  }
  return 0;
}

}  // namespace

void write_file_atomic(const std::string& path, const std::string& text) {
  std::string call;
  if (const int err = try_write_atomic(path, text, &call); err != 0) {
    throw_errno(call, path, err, "check that the directory exists, is writable and has space");
  }
}

std::string temp_dir() {
  const char* tmpdir = std::getenv("TMPDIR");
  return tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp";
}

std::string fallback_results_path(const std::string& what) {
  return temp_dir() + "/copylab-" + what + "-" + std::to_string(getpid()) + ".json";
}

void write_results(const std::string& label, const std::string& path, const std::string& text,
                   const std::string& what) {
  std::string call;
  const int err = try_write_atomic(path, text, &call);
  if (err == 0) return;
  const std::string lost = "Couldn't write " + label + " " + path + " (" + call + ": " +
                           errno_text(err) + ")";
  const std::string fallback = fallback_results_path(what);
  std::string fcall;
  const int ferr = try_write_atomic(fallback, text, &fcall);
  if (ferr == 0) {
    throw Error(lost + "; the results were saved to " + fallback + " instead",
                "copy them from there; free space or fix the path for the next run");
  }
  throw Error(lost + ", and could not be saved to " + fallback + " either (" + fcall + ": " +
                  errno_text(ferr) + "); only the report above remains",
              "free space in " + path + "'s directory or $TMPDIR and run again");
}

}  // namespace copylab
