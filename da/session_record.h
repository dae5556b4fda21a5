// What the next mtkfs needs to continue a Download Agent that an earlier mtkfs left running (it was
// killed, or ended with --end stay): the DA sends its flash report once, at its start, so the sizes and
// the CID it reported must be kept on the host. One small text file per link, written once a session is
// up and removed when the session ends the DA (reboot, power off).
//
//   # mtkfs session record 1
//   link=socket /tmp/a50.sock
//   hw_code=8590 hw_ver=CB01 sw_ver=0102 usb_speed=1
//   cid=150100414...
//   boot1=400000 boot2=400000 rpmb=1000000 gp1=0 gp2=0 gp3=0 gp4=0 user=3AB400000
//   da_file=/root/.local/share/mtkfs/MTK_AllInOne_DA.bin
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "da/block_device.h"
#include "da/flash_info.h"

namespace mtkfs::da {

struct SessionRecord {
  std::string link;  // the link the DA runs on, as Transport::describe() names it at connect time
  FlashInfo info;    // connection, preloader versions, CID, sizes, DA file, USB speed; nothing else
};

std::string format_session_record(const std::string& link, const FlashInfo& info);
// nullopt with `error` set for anything but a complete, well-formed record.
std::optional<SessionRecord> parse_session_record(std::string_view text, std::string& error);

// Written atomically (a temporary file renamed over it); failures are logged, never thrown: the
// record only helps a later session.
void save_session_record(const std::filesystem::path& file, const std::string& link, const FlashInfo& info);
// nullopt when there is no record; `error` says why an existing one cannot be used.
std::optional<SessionRecord> load_session_record(const std::filesystem::path& file, std::string& error);
void remove_session_record(const std::filesystem::path& file);

}  // namespace mtkfs::da
