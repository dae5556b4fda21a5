// gmock matchers for the errors of the protocol tests; use them as
//   EXPECT_THAT([&] { ... }, ::testing::ThrowsMessage<DaFileError>(::testing::HasSubstr("...")));
#pragma once

#include <gmock/gmock.h>

#include <string>

#include "da/block_device.h"

namespace mtkfs::testing {

// Throws a DeviceError whose message matches `message`, but not a LinkLostError: the command failed
// and the session survived it.
template <typename MessageMatcher>
auto ThrowsDeviceErrorKeepingSession(MessageMatcher message) {
  return ::testing::Throws<da::DeviceError>(
      ::testing::AllOf(::testing::Not(::testing::WhenDynamicCastTo<const da::LinkLostError&>(::testing::_)),
                       ::testing::ResultOf([](const da::DeviceError& e) { return std::string(e.what()); }, message)));
}

}  // namespace mtkfs::testing
