// Package osgb reads OpenSceneGraph binary files (.osgb) of the kind oblique-photography software
// (ContextCapture, Smart3D and the like) writes: the "OSG2" binary serializer format with its header,
// file version, optional zlib-compressed stream, object wrappers named by class and the serializer of
// each class, including the version-dependent fields from OpenSceneGraph 2.9.x to 3.7.
//
// The reader understands the subset such exports use: osg::PagedLOD (ranges, pixel-size range mode,
// child file names, user centre and radius), osg::LOD, osg::Group, osg::MatrixTransform, osg::Geode,
// osg::Geometry (vertex, normal, colour and texture-coordinate arrays; DrawArrays, DrawArrayLengths
// and DrawElements* primitive sets), osg::StateSet with osg::Material and osg::Texture2D, and
// osg::Image with embedded JPEG/PNG files, referenced files, or inline pixel data (RGB, RGBA,
// luminance, BGR(A) and DXT1/DXT3/DXT5 compressed). Common state attributes that do not affect the
// mesh (blend, cull face, alpha, polygon mode, ...) are read and ignored.
//
// A file of an unknown serializer version or with an object of an unknown class is an error that
// names the file, the object path and the byte offset — except that in "robust" files (the default
// since OpenSceneGraph 3.2, whose objects carry their length) an unknown object that cannot hold
// geometry (a callback, user data, an exotic state attribute) is skipped with a warning.
package osgb
