/* libudev ships no static library; a static hwloc program links these instead. hwloc
 * copes with udev_new() returning NULL (it then reads no block device properties). */
#include <stddef.h>

struct udev;
struct udev_device;

struct udev *udev_new(void)
{
	return NULL;
}
struct udev *udev_unref(struct udev *u)
{
	(void)u;
	return NULL;
}
struct udev_device *udev_device_new_from_subsystem_sysname(struct udev *u, const char *subsystem,
							   const char *sysname)
{
	(void)u;
	(void)subsystem;
	(void)sysname;
	return NULL;
}
const char *udev_device_get_property_value(struct udev_device *d, const char *key)
{
	(void)d;
	(void)key;
	return NULL;
}
struct udev_device *udev_device_unref(struct udev_device *d)
{
	(void)d;
	return NULL;
}
