# The FUSE filesystem library (helper "fs"); fuse/CMakeLists.txt include()s this file and adds the mtkfs
# program on top of it.
add_library(mtkfs_fs STATIC
  ${CMAKE_CURRENT_LIST_DIR}/fs_ops.cpp
  ${CMAKE_CURRENT_LIST_DIR}/fs_tree.cpp
  ${CMAKE_CURRENT_LIST_DIR}/fuse_mount.cpp
)
target_include_directories(mtkfs_fs PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(mtkfs_fs PUBLIC mtkfs_cache mtkfs_partition PkgConfig::FUSE3 spdlog::spdlog Threads::Threads)
