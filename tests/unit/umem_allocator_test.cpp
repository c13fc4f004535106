// UMEM frame accounting: random operation sequences against a simple model, invalid moves,
// and a real registered UMEM (xsk_umem__create) whose fill/completion helpers keep the books.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <stdexcept>
#include <vector>

#include "common/error.hpp"
#include "umem/frame_allocator.hpp"
#include "umem/umem.hpp"

using namespace copylab;

namespace {

constexpr std::uint32_t kFrames = 256;
constexpr std::uint32_t kFrameSize = 2048;

// The lifecycle edges a datapath uses (RX: free→fill→rx→fill|free, echo: rx→tx,
// TX: free→tx→completion→free).
struct Edge {
  FramePlace from;
  FramePlace to;
};
constexpr Edge kEdges[] = {
    {FramePlace::kFill, FramePlace::kRx},         {FramePlace::kRx, FramePlace::kFill},
    {FramePlace::kRx, FramePlace::kFree},         {FramePlace::kRx, FramePlace::kTx},
    {FramePlace::kTx, FramePlace::kCompletion},   {FramePlace::kCompletion, FramePlace::kFree},
};

class Model {
 public:
  std::map<std::uint64_t, FramePlace> place;  // address → place, for frames not free
};

void run_random_sequence(std::uint32_t seed, int ops) {
  FrameAllocator alloc(kFrames, kFrameSize);
  std::mt19937 rng(seed);
  std::vector<std::vector<std::uint64_t>> held(kFramePlaceCount);  // the model
  std::size_t free_in_model = kFrames;

  for (int op = 0; op < ops; ++op) {
    const auto choice = rng() % 8;
    if (choice < 2) {
      const FramePlace to = choice == 0 ? FramePlace::kFill : FramePlace::kTx;
      const auto addr = alloc.take_free(to);
      ASSERT_EQ(addr.has_value(), free_in_model != 0);
      if (addr) {
        ASSERT_EQ(*addr % kFrameSize, 0U);
        held[static_cast<std::size_t>(to)].push_back(*addr);
        --free_in_model;
      }
    } else {
      const Edge e = kEdges[rng() % std::size(kEdges)];
      auto& from = held[static_cast<std::size_t>(e.from)];
      if (from.empty()) continue;
      const std::size_t pick = rng() % from.size();
      std::uint64_t addr = from[pick];
      from[pick] = from.back();
      from.pop_back();
      // The kernel reports RX addresses with the copy-mode headroom offset inside the frame.
      const std::uint64_t reported = e.from == FramePlace::kFill ? addr + 256 : addr;
      alloc.move(reported, e.from, e.to);
      if (e.to == FramePlace::kFree) {
        ++free_in_model;
      } else {
        held[static_cast<std::size_t>(e.to)].push_back(addr);
      }
    }
    if (op % 97 == 0) {
      std::string why;
      ASSERT_TRUE(alloc.check_invariant(&why)) << "seed " << seed << " op " << op << ": " << why;
    }
  }
  std::string why;
  ASSERT_TRUE(alloc.check_invariant(&why)) << why;
  EXPECT_EQ(alloc.count(FramePlace::kFree), free_in_model);
  for (std::size_t p = 1; p < kFramePlaceCount; ++p) {
    EXPECT_EQ(alloc.count(static_cast<FramePlace>(p)), held[p].size())
        << to_string(static_cast<FramePlace>(p));
    for (std::uint64_t addr : held[p]) EXPECT_EQ(alloc.place_of(addr), static_cast<FramePlace>(p));
  }
}

}  // namespace

TEST(FrameAllocator, StartsAllFree) {
  FrameAllocator alloc(kFrames, kFrameSize);
  EXPECT_EQ(alloc.count(FramePlace::kFree), kFrames);
  EXPECT_TRUE(alloc.check_invariant());
}

TEST(FrameAllocator, RandomSequencesKeepEveryFrameInOnePlace) {
  for (std::uint32_t seed = 1; seed <= 20; ++seed) run_random_sequence(seed, 20'000);
}

TEST(FrameAllocator, ExhaustionAndReturn) {
  FrameAllocator alloc(8, kFrameSize);
  std::vector<std::uint64_t> got;
  while (auto a = alloc.take_free(FramePlace::kTx)) got.push_back(*a);
  EXPECT_EQ(got.size(), 8U);
  EXPECT_FALSE(alloc.take_free(FramePlace::kFill).has_value());
  for (auto a : got) alloc.move(a, FramePlace::kTx, FramePlace::kCompletion);
  for (auto a : got) alloc.move(a, FramePlace::kCompletion, FramePlace::kFree);
  EXPECT_EQ(alloc.count(FramePlace::kFree), 8U);
  EXPECT_TRUE(alloc.check_invariant());
}

TEST(FrameAllocator, WrongMovesAreCaught) {
  FrameAllocator alloc(8, kFrameSize);
  const std::uint64_t a = *alloc.take_free(FramePlace::kFill);
  EXPECT_THROW(alloc.move(a, FramePlace::kTx, FramePlace::kFree), std::logic_error);  // not in tx
  alloc.move(a, FramePlace::kFill, FramePlace::kRx);
  alloc.move(a, FramePlace::kRx, FramePlace::kFree);
  EXPECT_THROW(alloc.move(a, FramePlace::kRx, FramePlace::kFree), std::logic_error);  // double free
  EXPECT_THROW(alloc.move(a, FramePlace::kFree, FramePlace::kTx), std::logic_error);  // use take_free
  EXPECT_THROW(alloc.move(8ULL * kFrameSize, FramePlace::kFill, FramePlace::kRx),
               std::logic_error);  // outside the area
  std::string why;
  EXPECT_TRUE(alloc.check_invariant(&why)) << why;  // a refused move changes nothing
}

TEST(UmemConfig, RejectsBadGeometryWithTheFix) {
  auto expect_usage = [](UmemConfig c, const std::string& needle) {
    try {
      validate(c);
      FAIL() << "accepted " << needle;
    } catch (const Error& e) {
      EXPECT_EQ(e.exit_code(), kExitUsage);
      EXPECT_NE(e.one_line().find(needle), std::string::npos) << e.one_line();
      EXPECT_FALSE(e.fix().empty());
    }
  };
  UmemConfig c;
  c.frame_size = 3000;
  expect_usage(c, "--frame-size 3000 is not a power of two");
  c.frame_size = 1024;
  expect_usage(c, "use --frame-size 2048 or 4096");
  c = {};
  c.frame_count = 1000;
  expect_usage(c, "--frame-count 1000 is not a power of two");
  c = {};
  c.fill_size = 3000;
  expect_usage(c, "fill ring size");
}

// Registers a real UMEM (needs CAP_NET_RAW + CAP_IPC_LOCK, as every copylab test run has).
TEST(Umem, RegistersAndKeepsTheBooksThroughFillAndCompletion) {
  UmemConfig c;
  c.frame_count = 512;
  c.fill_size = 1024;
  c.comp_size = 1024;
  Umem umem(c);
  EXPECT_EQ(umem.refill(300), 300U);
  EXPECT_EQ(umem.frames().count(FramePlace::kFill), 300U);
  EXPECT_EQ(umem.refill(1000), 212U);  // only the free frames
  EXPECT_EQ(umem.reap_completions(64), 0U);  // nothing transmitted
  std::string why;
  EXPECT_TRUE(umem.frames().check_invariant(&why)) << why;
  // Frames are writable memory of the right size.
  umem.at(511ULL * c.frame_size)[c.frame_size - 1] = 0xab;
  EXPECT_EQ(umem.room(511ULL * c.frame_size + 256), c.frame_size - 256U);
}

TEST(Umem, HugePagesFallBackWhenNoneAreFree) {
  UmemConfig c;
  c.frame_count = 1024;
  c.huge_pages = true;
  Umem umem(c);  // either way it must work; which one it got is readable
  if (!umem.huge_pages()) SUCCEED() << "no huge pages here: fell back to normal pages";
  umem.at(0)[0] = 1;
  EXPECT_TRUE(umem.frames().check_invariant());
}
