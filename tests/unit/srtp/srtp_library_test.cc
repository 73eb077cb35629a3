#include "srtp/srtp_library.h"

#include <gtest/gtest.h>

#include <string>

namespace tessera::deps {
namespace {

TEST(SrtpLibrary, InitialisesOnceAndReportsTheSameOutcome) {
  EXPECT_TRUE(EnsureSrtpInitialized().ok());
  EXPECT_TRUE(EnsureSrtpInitialized().ok());
}

TEST(SrtpLibrary, DescribesErrorCodes) {
  EXPECT_STREQ(SrtpErrorText(srtp_err_status_ok), "ok");
  EXPECT_STREQ(SrtpErrorText(srtp_err_status_auth_fail), "authentication failure");
  EXPECT_STREQ(SrtpErrorText(srtp_err_status_replay_fail), "replayed packet");
  EXPECT_STREQ(SrtpErrorText(static_cast<srtp_err_status_t>(999)), "unknown libsrtp error");
}

TEST(SrtpLibrary, ErrorStatusNamesContextTextAndCode) {
  Status status = SrtpError("srtp_create", srtp_err_status_bad_param);
  EXPECT_EQ(status.code(), StatusCode::kInternal);
  EXPECT_EQ(status.message(), "srtp_create: unsupported parameter (libsrtp error 2)");
}

TEST(SrtpLibrary, ContextHandleFreesThroughSrtpDealloc) {
  ASSERT_TRUE(EnsureSrtpInitialized().ok());
  srtp_t raw = nullptr;
  ASSERT_EQ(srtp_create(&raw, nullptr), srtp_err_status_ok);
  UniqueSrtpContext ctx(raw);  // Leak-checked under TESSERA_SANITIZE.
  EXPECT_NE(ctx.get(), nullptr);
  UniqueSrtpContext empty;  // A null handle must be safe to destroy.
  (void)empty;
}

}  // namespace
}  // namespace tessera::deps
