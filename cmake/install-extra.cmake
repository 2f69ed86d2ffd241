# Run by `cmake --install` after the binary is in place (install(SCRIPT) in
# CMakeLists.txt, which sets TC_SOURCE_DIR, TC_STAGE_DIR and TC_SYSCONFDIR).
# CMAKE_INSTALL_PREFIX is the prefix of this install, --prefix included.

set(_rw OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)

# The example config and overrides file. An existing one is an operator's
# edited config: keep it, and put ours beside it as *.example.
# file(INSTALL) prepends DESTDIR itself; EXISTS needs it spelled out.
set(_etc "${TC_SYSCONFDIR}/tracecompactor")
foreach(_name tracecompactor.yaml overrides.yaml)
  set(_as ${_name})
  if(EXISTS "$ENV{DESTDIR}${_etc}/${_name}")
    message(STATUS "Keeping: $ENV{DESTDIR}${_etc}/${_name} (the new example is ${_name}.example)")
    set(_as ${_name}.example)
  endif()
  file(INSTALL "${TC_SOURCE_DIR}/configs/${_name}" DESTINATION "${_etc}"
    RENAME ${_as} PERMISSIONS ${_rw})
endforeach()

# The unit names /usr/local/bin and /etc/tracecompactor; point it at where
# this install put the binary and the config.
file(READ "${TC_SOURCE_DIR}/deploy/systemd/tracecompactor.service" _unit)
string(REPLACE "/usr/local/bin/tracecompactor" "${CMAKE_INSTALL_PREFIX}/bin/tracecompactor"
  _unit "${_unit}")
string(REPLACE "/etc/tracecompactor/" "${TC_SYSCONFDIR}/tracecompactor/" _unit "${_unit}")
file(WRITE "${TC_STAGE_DIR}/tracecompactor.service" "${_unit}")
file(INSTALL "${TC_STAGE_DIR}/tracecompactor.service"
  DESTINATION "${CMAKE_INSTALL_PREFIX}/lib/systemd/system" PERMISSIONS ${_rw})
