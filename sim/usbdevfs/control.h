// EP0 for the emulated device: the standard requests the kernel would answer from the device (descriptors,
// status, configuration) and the CDC class requests the model's Preloader implements.
#pragma once

#include <cstdint>

#include "sim/sim.h"
#include "sim/usbdevfs/urb_engine.h"

namespace mtkfs::sim::usbdevfs {

// `urb.data` holds the 8-byte setup packet and the data stage; fills status/actual as the kernel does
// (actual counts the data stage only; a refused request stalls with -EPIPE).
void serve_control(Urb& urb, UsbDeviceModel& model, std::uint64_t enumeration, std::uint16_t product_id);

}  // namespace mtkfs::sim::usbdevfs
