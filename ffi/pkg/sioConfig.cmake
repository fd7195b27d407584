# CMake package configuration of libsio, installed as PREFIX/lib/cmake/sio/sioConfig.cmake
# by ffi/pkg/install.sh, so that
#
#   find_package(sio REQUIRED)                 # CMAKE_PREFIX_PATH=PREFIX
#   target_link_libraries(app PRIVATE sio::sio)         # libsio.so
#   target_link_libraries(app PRIVATE sio::sio_static)  # libsio.a
#
# works. Paths are relative to this file, so the prefix can be moved. C++ users get
# sio.hpp from the same include directory (requires C++17).
cmake_minimum_required(VERSION 3.5)

get_filename_component(_sio_prefix "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
set(sio_INCLUDE_DIRS "${_sio_prefix}/include")
set(sio_LIBRARY "${_sio_prefix}/lib/libsio.so")
set(sio_STATIC_LIBRARY "${_sio_prefix}/lib/libsio.a")

if(NOT EXISTS "${sio_INCLUDE_DIRS}/sio.h" OR NOT EXISTS "${sio_LIBRARY}")
  set(sio_FOUND FALSE)
  set(sio_NOT_FOUND_MESSAGE "sio.h or libsio.so missing under ${_sio_prefix}")
  return()
endif()

find_package(Threads REQUIRED)

if(NOT TARGET sio::sio)
  add_library(sio::sio SHARED IMPORTED)
  set_target_properties(sio::sio PROPERTIES
    IMPORTED_LOCATION "${sio_LIBRARY}"
    IMPORTED_NO_SONAME TRUE
    INTERFACE_INCLUDE_DIRECTORIES "${sio_INCLUDE_DIRS}"
    INTERFACE_LINK_LIBRARIES Threads::Threads)
endif()

if(NOT TARGET sio::sio_static AND EXISTS "${sio_STATIC_LIBRARY}")
  add_library(sio::sio_static STATIC IMPORTED)
  set_target_properties(sio::sio_static PROPERTIES
    IMPORTED_LOCATION "${sio_STATIC_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${sio_INCLUDE_DIRS}"
    # What the Rust standard library inside libsio.a needs.
    INTERFACE_LINK_LIBRARIES "Threads::Threads;${CMAKE_DL_LIBS};m;rt;util")
endif()

set(sio_LIBRARIES sio::sio)
set(sio_FOUND TRUE)
unset(_sio_prefix)
