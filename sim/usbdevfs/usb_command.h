// `mtkfs-sim usb [options] -- COMMAND...`: the simulated devices on an emulated USB bus, and COMMAND run
// under umockdev's preload so that it reaches them through its own, unmodified libusb.
#pragma once

#include <string>
#include <vector>

#include "sim/sim.h"
#include "sim/usbdevfs/emulated_bus.h"

namespace mtkfs::sim::usbdevfs {

struct UsbCommand {
  std::vector<SimConfig> devices;  // one per port, 1-1 first
  PlugOptions plug;                // applies to the first device
  std::vector<std::string> command;
};

// umockdev's testbed needs its preload library in this process too (its uevents for the plug events are
// sent through it): re-executes this program (`argv`) with it unless it is loaded already.
void run_under_preload(char** argv);

// Returns COMMAND's exit status (128 + signal when it was killed); throws std::runtime_error on set-up failures.
int run_usb_command(const UsbCommand& usb);

}  // namespace mtkfs::sim::usbdevfs
