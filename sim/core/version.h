/* version: the release this tree builds. */
#ifndef MAILSIM_CORE_VERSION_H
#define MAILSIM_CORE_VERSION_H
#define MAILSIM_VERSION "0.1.0"
#endif
