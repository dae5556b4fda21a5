# Run by cpack (CPACK_PRE_BUILD_SCRIPTS, cmake/packaging.cmake) on the staged files before it builds
# the package: compresses the man pages as Debian does (gzip -9n: no name or time stamp inside, so
# the same page always gives the same bytes).
find_program(MTKFS_GZIP gzip REQUIRED)
file(GLOB_RECURSE pages "${CPACK_TEMPORARY_INSTALL_DIRECTORY}/*/share/man/man[1-9]/*.[1-9]")
foreach(page IN LISTS pages)
  execute_process(COMMAND ${MTKFS_GZIP} -9nf "${page}" RESULT_VARIABLE result)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "gzip ${page} failed: ${result}")
  endif()
endforeach()
if(NOT pages)
  message(FATAL_ERROR "no man pages under ${CPACK_TEMPORARY_INSTALL_DIRECTORY} to compress")
endif()
