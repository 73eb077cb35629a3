#include <gtest/gtest.h>
#include <tessera/base/thread_checker.h>

#include <thread>

namespace tessera {
namespace {

TEST(ThreadChecker, BindsToTheFirstThreadThatAsks) {
  ThreadChecker checker;
  bool other_first = false;
  std::thread([&] { other_first = checker.IsCurrent(); }).join();
  EXPECT_TRUE(other_first);
  EXPECT_FALSE(checker.IsCurrent()) << "the checker belongs to the other thread now";
}

TEST(ThreadChecker, DetachHandsOwnershipOn) {
  ThreadChecker checker;
  EXPECT_TRUE(checker.IsCurrent());
  bool before = true;
  std::thread([&] { before = checker.IsCurrent(); }).join();
  EXPECT_FALSE(before);
  checker.Detach();
  bool after = false;
  std::thread([&] { after = checker.IsCurrent(); }).join();
  EXPECT_TRUE(after);
}

}  // namespace
}  // namespace tessera
