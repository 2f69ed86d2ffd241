/* One function per command; argv[0] is the command name. Returns the exit status. */
#ifndef TC_CLI_COMMANDS_H
#define TC_CLI_COMMANDS_H

int tc_cmd_compact(int argc, char **argv);
int tc_cmd_gen(int argc, char **argv);
int tc_cmd_inspect(int argc, char **argv);
int tc_cmd_query(int argc, char **argv);
int tc_cmd_serve(int argc, char **argv);
int tc_cmd_block(int argc, char **argv);
int tc_cmd_ring(int argc, char **argv);
int tc_cmd_web(int argc, char **argv);
int tc_cmd_list(int argc, char **argv);
int tc_cmd_view(int argc, char **argv);
int tc_cmd_retention(int argc, char **argv);
int tc_cmd_bucket(int argc, char **argv);

#endif
