#include "expert-pager.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

#include "moe/errors.hpp"

namespace moe::cache {

ExpertPager::ExpertPager(const std::filesystem::path& file, bool drop_page_cache) : drop_page_cache_(drop_page_cache) {
  const long ps = ::sysconf(_SC_PAGESIZE);
  if (ps > 0) page_ = static_cast<size_t>(ps);
  fd_ = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) throw IoError(file.string() + ": cannot open for expert paging: " + std::strerror(errno));
}

ExpertPager::~ExpertPager() {
  if (fd_ >= 0) ::close(fd_);
}

size_t ExpertPager::slot_bytes(const ExpertSlices& s) noexcept {
  return round_up(s.bytes[0]) + round_up(s.bytes[1]) + round_up(s.bytes[2]);
}

size_t ExpertPager::pieces(const ExpertSlices& s) const noexcept {
  const size_t p = piece_bytes();
  size_t n = 0;
  for (size_t b : s.bytes) n += b == 0 ? 0 : (b - 1) / p + 1;
  return n;
}

bool ExpertPager::in_page_cache(const std::byte* p, size_t n) const noexcept {
  if (p == nullptr || n == 0) return false;
  // mincore works on whole pages: widen [p, p + n) to page boundaries.
  const auto a = reinterpret_cast<uintptr_t>(p);
  uintptr_t lo = a / page_ * page_;
  const uintptr_t hi = (a + n + page_ - 1) / page_ * page_;
  constexpr size_t kBatch = 256;  // pages per mincore call (a 1 MiB window with 4 KiB pages)
  unsigned char vec[kBatch];
  while (lo < hi) {
    const size_t pages = std::min<size_t>(kBatch, (hi - lo) / page_);
    // Where the caller may not see the page cache (a file it could not write), mincore only
    // reports pages mapped in this process: the rest is then read with pread, still correct.
    if (::mincore(reinterpret_cast<void*>(lo), pages * page_, vec) != 0) return false;
    for (size_t i = 0; i < pages; ++i)
      if (!(vec[i] & 1u)) return false;
    lo += pages * page_;
  }
  return true;
}

void ExpertPager::pread_all(std::byte* dst, size_t n, uint64_t offset, int layer, int expert) const {
  size_t done = 0;
  while (done < n) {
    const ssize_t r = ::pread(fd_, dst + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0)
      throw IoError("expert cache: reading expert " + std::to_string(expert) + " of layer " + std::to_string(layer) +
                    " failed: " + (r < 0 ? std::strerror(errno) : "end of file"));
    done += static_cast<size_t>(r);
  }
}

void ExpertPager::copy_piece(const ExpertSlices& s, std::byte* slot, size_t piece, int layer, int expert) const {
  const size_t pb = piece_bytes();
  std::byte* dst = slot;
  for (size_t m = 0; m < 3; ++m) {
    const size_t n_pieces = s.bytes[m] == 0 ? 0 : (s.bytes[m] - 1) / pb + 1;
    if (piece >= n_pieces) {
      piece -= n_pieces;
      dst += round_up(s.bytes[m]);
      continue;
    }
    const size_t begin = piece * pb;
    const size_t len = std::min(pb, s.bytes[m] - begin);
    // Invariant: begin + len <= s.bytes[m], and the slot holds round_up(bytes) for every slice.
    dst += begin;
    const std::byte* src = s.mapped[m] ? s.mapped[m] + begin : nullptr;
    if (!drop_page_cache_ && in_page_cache(src, len)) {
      std::memcpy(dst, src, len);
      return;
    }
    pread_all(dst, len, s.file_offset[m] + begin, layer, expert);
    if (drop_page_cache_)  // one piece per slice in this mode: the whole slice is dropped
      ::posix_fadvise(fd_, static_cast<off_t>(s.file_offset[m]), static_cast<off_t>(s.bytes[m]), POSIX_FADV_DONTNEED);
    return;
  }
}

void ExpertPager::copy(const ExpertSlices& s, std::byte* slot, int layer, int expert) const {
  const size_t n = pieces(s);
  for (size_t i = 0; i < n; ++i) copy_piece(s, slot, i, layer, expert);
}

}  // namespace moe::cache
