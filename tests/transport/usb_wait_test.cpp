// The libusb waiting loop, run for real: no MediaTek device sits at bus 255 address 255, so it
// must give up after --wait seconds with a clear error, printing the plug-in hints once.
#include <gtest/gtest.h>

#include <string>

#include "transport/usb_transport.h"

namespace mtkfs::transport {
namespace {

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) ++n;
  return n;
}

TEST(UsbWait, GivesUpAfterWaitSecondsAndHintsOnce) {
  std::string told;
  int notices = 0;
  ::testing::internal::CaptureStderr();
  try {
    wait_for_device({"255:255", 1, [&](const std::string& text) {
                       told += text;
                       ++notices;
                     }});
    ::testing::internal::GetCapturedStderr();
    FAIL() << "expected TimeoutError";
  } catch (const TimeoutError& e) {
    EXPECT_EQ(::testing::internal::GetCapturedStderr(), "") << "the transport never writes to the terminal";
    EXPECT_NE(std::string(e.what()).find("1 s"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("255:255"), std::string::npos) << e.what();
    EXPECT_EQ(count(told, "Volume Down + Play"), 1u) << told;
    EXPECT_EQ(notices, 1);
  }
}

TEST(UsbWait, WithoutANoticeCallbackNobodyIsTold) {
  ::testing::internal::CaptureStderr();
  EXPECT_THROW(open_usb_transport({"255:255", 1, {}}), TimeoutError);
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

}  // namespace
}  // namespace mtkfs::transport
