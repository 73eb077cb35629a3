#include <gtest/gtest.h>
#include <tessera/base/personal_name.h>

namespace tessera {
namespace {

// The salt is process-wide: each test leaves it off.
struct SaltOff {
  ~SaltOff() { SetPersonalNameSalt(""); }
};

TEST(PersonalName, NamesPassThroughUntilASaltIsSet) {
  SaltOff off;
  EXPECT_EQ(PersonalName("alice"), "alice");
}

TEST(PersonalName, HashesToAStableTwelveHexDigitTokenUnderASalt) {
  SaltOff off;
  ASSERT_TRUE(SetPersonalNameSalt("0123456789abcdef-site-one"));
  const std::string a = PersonalName("alice");
  EXPECT_EQ(a.size(), 14u);
  EXPECT_EQ(a.substr(0, 2), "h:");
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef", 2), std::string::npos);
  EXPECT_EQ(PersonalName("alice"), a);
  EXPECT_NE(PersonalName("bob"), a);
  ASSERT_TRUE(SetPersonalNameSalt("0123456789abcdef-site-two"));
  EXPECT_NE(PersonalName("alice"), a);  // another site, another token
}

TEST(PersonalName, RefusesAShortSalt) {
  SaltOff off;
  EXPECT_FALSE(SetPersonalNameSalt("short"));
  EXPECT_EQ(PersonalName("alice"), "alice");
}

}  // namespace
}  // namespace tessera
