# The Debian package: `cpack -G DEB` (or `cmake --build BUILD --target package`) in a build tree
# makes mtkfs_VERSION_ARCH.deb from the project's install() rules: both programs, their man pages
# and the udev rule. tests/install/deb_test.cpp builds, installs, uses and removes it.
#
# The package installs under /usr, so the udev rule lands in /usr/lib/udev/rules.d, which udev
# reads on Debian 12 (and /lib is /usr/lib there). `cmake --install --prefix X` is unchanged.

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME mtkfs)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "FUSE filesystem for the eMMC of MediaTek devices in download mode")
# Debian wants the long description in lines of under 80 characters; an empty line separates paragraphs.
set(CPACK_PACKAGE_DESCRIPTION "\
mtkfs speaks the MediaTek Preloader and legacy Download Agent protocol over
USB and shows the eMMC of a device in download mode, such as the Sony Walkman
NW-A50 (MT8590), as plain files: user_area.img, boot1.img, boot2.img and one
image per partition, to back up with cp or dd, loop-mount, or restore.

mtkfs-sim, a simulated NW-A50, lets you try mtkfs without a device.")

set(MTKFS_PACKAGE_MAINTAINER "mtkfs maintainers <maintainers@users.noreply.r-seed-ec0f92f5.example>"
  CACHE STRING "Maintainer field of the .deb (\"Name <email>\")")
set(MTKFS_PACKAGE_HOMEPAGE "" CACHE STRING "Homepage field of the .deb (left out when empty)")
set(CPACK_PACKAGE_CONTACT "${MTKFS_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${MTKFS_PACKAGE_MAINTAINER}")
if(MTKFS_PACKAGE_HOMEPAGE)
  set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "${MTKFS_PACKAGE_HOMEPAGE}")
endif()

set(CPACK_DEBIAN_PACKAGE_NAME mtkfs)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # mtkfs_0.1.0_amd64.deb; the architecture comes from dpkg
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_STRIP_FILES ON)

# Depends: what the programs link, found by dpkg-shlibdeps (dpkg-dev) from the ELF files themselves, so
# it follows the build: libfuse3-3, libusb-1.0-0, libspdlog/libfmt when linked as shared libraries,
# and libumockdev0, which mtkfs-sim needs to start at all (it links it for `mtkfs-sim usb`).
# fusermount3 (fuse3) is run, not linked, so it is named here. `mtkfs-sim usb` also loads umockdev's
# preload library (package umockdev) into the command it runs: a Recommends, since neither mtkfs nor
# the rest of mtkfs-sim needs it.
# CPack finds the ELF files with file(1); scripts/install-deps.sh installs both tools.
find_program(MTKFS_DPKG_SHLIBDEPS dpkg-shlibdeps)
find_program(MTKFS_FILE_COMMAND file)
if(MTKFS_DPKG_SHLIBDEPS AND MTKFS_FILE_COMMAND)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "fuse3")
else()
  message(WARNING "dpkg-shlibdeps (package dpkg-dev) or file not found: the .deb's Depends lists only "
    "libfuse3-3, libusb-1.0-0, libumockdev0 and fuse3, not the versions nor the other libraries linked")
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "libfuse3-3, libusb-1.0-0, libumockdev0, fuse3")
endif()
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "umockdev")

# Debian ships man pages gzip-compressed; `cmake --install` keeps them as they are.
set(CPACK_PRE_BUILD_SCRIPTS ${CMAKE_CURRENT_LIST_DIR}/packaging-compress-man.cmake)

include(CPack)
