/* tscore-exec is linked with musl and Debian's libseccomp.a, which was
 * compiled against glibc: the one glibc-only function it names is the
 * fortified fprintf of its text export (seccomp_export_pfc, never called
 * here). Every other libc function it uses is one musl has, alike. */
#include <stdarg.h>
#include <stdio.h>

int __fprintf_chk(FILE *f, int flag, const char *fmt, ...);
int __fprintf_chk(FILE *f, int flag, const char *fmt, ...)
{
	(void)flag;
	va_list ap;
	va_start(ap, fmt);
	int n = vfprintf(f, fmt, ap);
	va_end(ap);
	return n;
}
