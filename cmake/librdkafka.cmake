# pizza_patched_rdkafka(TARGET FLAVOUR PATCH_DIR): TARGET, an imported static
# librdkafka built from Debian's 2.0.2 source with the patches in PATCH_DIR
# (scripts/librdkafka.sh FLAVOUR). Never built with the sanitizer flags.
#
# A build step, not a configure one: configuring stays offline and quick. The
# script builds once per patch set (cached in .deps/ for every build directory)
# and copies the result into this build, so a changed input relinks what uses
# it, and one custom command means a parallel build runs it once.

# Cached from the environment at the first configure: the build step and the
# re-configures cmake --build runs by itself do not see the environment the
# build directory was created with.
set(PIZZA_DEPS_DIR "$ENV{PIZZA_DEPS_DIR}" CACHE PATH
    "Where scripts/librdkafka.sh keeps the source and its builds (empty: .deps/)")

function(pizza_patched_rdkafka target flavour patch_dir)
  if(PIZZA_DEPS_DIR)
    set(deps ${PIZZA_DEPS_DIR})
  else()
    set(deps ${PROJECT_SOURCE_DIR}/.deps)
  endif()
  set(script ${PROJECT_SOURCE_DIR}/scripts/librdkafka.sh)
  # A new patch re-configures and so joins the inputs; the script refuses one
  # that the folder's series does not order.
  file(GLOB patches CONFIGURE_DEPENDS ${patch_dir}/*.patch)
  set(prefix ${PROJECT_BINARY_DIR}/librdkafka-${flavour})
  set(lib ${prefix}/lib/librdkafka.a)
  add_custom_command(
    OUTPUT ${lib} ${prefix}/include/librdkafka/rdkafka.h
    COMMAND ${CMAKE_COMMAND} -E env PIZZA_DEPS_DIR=${deps} bash ${script} ${flavour} install ${prefix}
    DEPENDS ${script} ${patch_dir}/series ${patches}
    COMMENT "Patched librdkafka (${flavour}: scripts/librdkafka.sh)"
    USES_TERMINAL # a first build takes 30-60 s: show its progress as it goes
    VERBATIM)
  add_custom_target(${target}_build DEPENDS ${lib})
  # An imported target's include directory must exist when generating.
  file(MAKE_DIRECTORY ${prefix}/include)
  add_library(${target} STATIC IMPORTED GLOBAL)
  set_target_properties(${target} PROPERTIES IMPORTED_LOCATION ${lib}
                                             INTERFACE_INCLUDE_DIRECTORIES ${prefix}/include)
  # Before anything using it compiles (the headers) and links.
  add_dependencies(${target} ${target}_build)
endfunction()
