#pragma once
// Copies one expert (its gate, up and down slices) from the model file into a pool slot.
// A slice whose pages are in the page cache is copied from the file's existing mapping
// (memcpy: the same copy out of the page cache that pread does, without a system call and a
// page-cache lookup per 4 KiB page: about 2.5x faster on this machine kind). Anything else is
// read with pread, so pages that are not in memory cost real I/O. With drop_page_cache every
// slice is read with pread and then dropped from the page cache (POSIX_FADV_DONTNEED), for
// measurements of cold reads.
//
// An expert is cut into pieces (at most kPieceBytes each, never across slices) so that the
// misses of one layer can be copied by several arena threads at once.
#include <cstddef>
#include <cstdint>
#include <filesystem>

#include "moe/expert-cache.hpp"

namespace moe::cache {

class ExpertPager {
 public:
  static constexpr size_t kAlign = 64;  // slice starts in a slot: whole cache lines for the kernels
  static constexpr size_t kPieceBytes = size_t{512} << 10;

  ExpertPager(const std::filesystem::path& file, bool drop_page_cache);  // throws IoError
  ~ExpertPager();
  ExpertPager(const ExpertPager&) = delete;
  ExpertPager& operator=(const ExpertPager&) = delete;

  static size_t round_up(size_t n) noexcept { return (n + kAlign - 1) / kAlign * kAlign; }
  // Bytes of a slot holding `s` (each slice starts on a kAlign boundary).
  static size_t slot_bytes(const ExpertSlices& s) noexcept;

  size_t pieces(const ExpertSlices& s) const noexcept;
  // Copies piece `piece` (< pieces(s)) of expert `s` into the slot starting at `slot`.
  // Throws IoError naming the expert when the file cannot be read.
  void copy_piece(const ExpertSlices& s, std::byte* slot, size_t piece, int layer, int expert) const;
  void copy(const ExpertSlices& s, std::byte* slot, int layer, int expert) const;

 private:
  size_t piece_bytes() const noexcept { return drop_page_cache_ ? ~size_t{0} : kPieceBytes; }
  bool in_page_cache(const std::byte* p, size_t n) const noexcept;
  void pread_all(std::byte* dst, size_t n, uint64_t offset, int layer, int expert) const;

  int fd_ = -1;
  bool drop_page_cache_ = false;
  size_t page_ = 4096;
};

}  // namespace moe::cache
